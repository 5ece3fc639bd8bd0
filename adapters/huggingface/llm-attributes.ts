// AttributeExtractor on a hosted language model through @huggingface/inference's
// chatCompletion: ViPer's prompt in, "Liked Art Features: ... / Disliked Art Features: ..."
// out (prefs/viper-format.ts reads it, tolerating malformed replies). Retries 429 and 5xx
// with backoff (honouring Retry-After), gives up after a timeout, and never lets the access
// token into an error: messages are redacted and the library's error (which carries the
// request) is not kept as a cause.
import { chatCompletion } from '@huggingface/inference';
import { MAX_COMMENT_CHARS } from '../../prefs/local-extractor.ts';
import type { AttributeExtractor, Extraction } from '../../prefs/ports.ts';
import { parseViperReply, VIPER_SYSTEM_PROMPT, viperUserPrompt } from '../../prefs/viper-format.ts';

export interface LlmAttributeOptions {
  /** OpenAI-compatible base URL, e.g. https://router.huggingface.co/v1 or a local TGI. */
  readonly endpointUrl: string;
  readonly model?: string;
  readonly accessToken?: string;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  readonly retries?: number;
  /** Longest wait between two tries, whatever Retry-After says. */
  readonly maxBackoffMs?: number;
  readonly maxTokens?: number;
}

export class LlmAttributeError extends Error {
  override readonly name = 'LlmAttributeError';
  constructor(message: string, readonly endpoint: string, readonly status?: number) {
    super(message);
  }
}

const RETRYABLE = (status: number | undefined) => status === undefined || status === 429 || status >= 500;

export class LlmAttributeExtractor implements AttributeExtractor {
  constructor(private readonly options: LlmAttributeOptions) {
    if (!/^https?:\/\//.test(options.endpointUrl)) throw new TypeError('endpointUrl must be an http(s) URL');
  }

  async extract(text: string, call: { signal?: AbortSignal } = {}): Promise<Extraction> {
    const o = this.options;
    const comments = typeof text === 'string' ? text.trim().slice(0, MAX_COMMENT_CHARS) : '';
    if (!comments) return { liked: [], disliked: [] };
    const retries = o.retries ?? 2;
    const endpoint = this.redact(o.endpointUrl);
    for (let attempt = 0; ; attempt++) {
      let retryAfterMs: number | undefined;
      const timeout = AbortSignal.timeout(o.timeoutMs ?? 30_000);
      const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
      // Our own fetch wrapper: the library's errors do not expose response headers.
      const baseFetch = o.fetch ?? fetch;
      const recordingFetch: typeof fetch = async (input, init) => {
        const response = await baseFetch(input, init);
        const after = response.headers.get('retry-after');
        retryAfterMs = after === null ? undefined : Number.isFinite(Number(after)) ? Number(after) * 1000 : Math.max(0, Date.parse(after) - Date.now());
        return response;
      };
      let reply: unknown;
      try {
        reply = await chatCompletion(
          {
            endpointUrl: o.endpointUrl, model: o.model, accessToken: o.accessToken,
            messages: [{ role: 'system', content: VIPER_SYSTEM_PROMPT }, { role: 'user', content: viperUserPrompt(comments) }],
            max_tokens: o.maxTokens ?? 256, temperature: 0,
          },
          { fetch: recordingFetch, signal, retry_on_error: false },
        );
      } catch (e) {
        if (call.signal?.aborted) throw call.signal.reason;
        const status = (e as { httpResponse?: { status?: number } }).httpResponse?.status;
        const why = timeout.aborted ? `timed out after ${o.timeoutMs ?? 30_000} ms` : this.redact(e instanceof Error ? e.message : String(e));
        if (attempt < retries && (timeout.aborted || RETRYABLE(status)) && !(e instanceof SyntaxError)) {
          const backoff = Math.min(o.maxBackoffMs ?? 10_000, retryAfterMs ?? 250 * 2 ** attempt);
          await new Promise((resolve) => setTimeout(resolve, backoff));
          continue;
        }
        throw new LlmAttributeError(`chat completion at ${endpoint} failed${status ? ` (HTTP ${status})` : ''} after ${attempt + 1} tries: ${why}`, endpoint, status);
      }
      const content = (reply as { choices?: { message?: { content?: unknown } }[] } | undefined)?.choices?.[0]?.message?.content;
      if (typeof content !== 'string') throw new LlmAttributeError(`chat completion at ${endpoint} returned no choices[0].message.content`, endpoint);
      return parseViperReply(this.redact(content));
    }
  }

  private redact(s: string): string {
    const token = this.options.accessToken;
    return token ? s.split(token).join('[REDACTED]') : s;
  }
}
