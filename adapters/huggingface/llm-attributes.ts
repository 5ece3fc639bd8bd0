// AttributeExtractor on a hosted language model through @huggingface/inference's
// chatCompletion: ViPer's prompt in, "Liked Art Features: ... / Disliked Art Features: ..."
// out (prefs/viper-format.ts reads it, tolerating malformed replies). Timeouts, retries and
// token redaction are the shared HttpPolicy's (http-policy.ts).
import { chatCompletion } from '@huggingface/inference';
import { MAX_COMMENT_CHARS } from '../../prefs/local-extractor.ts';
import type { AttributeExtractor, Extraction } from '../../prefs/ports.ts';
import { parseViperReply, VIPER_SYSTEM_PROMPT, viperUserPrompt } from '../../prefs/viper-format.ts';
import { HttpPolicy, type HttpPolicyOptions } from './http-policy.ts';
import { RemoteBackendError } from './remote-backend-error.ts';

export interface LlmAttributeOptions extends HttpPolicyOptions {
  /** OpenAI-compatible base URL, e.g. https://router.huggingface.co/v1 or a local TGI. */
  readonly endpointUrl: string;
  readonly model?: string;
  readonly maxTokens?: number;
}

/** The extractor's errors are the shared RemoteBackendError; the name stays for its callers. */
export const LlmAttributeError = RemoteBackendError;
export type LlmAttributeError = RemoteBackendError;

export class LlmAttributeExtractor implements AttributeExtractor {
  private readonly policy: HttpPolicy;

  constructor(private readonly options: LlmAttributeOptions) {
    if (!/^https?:\/\//.test(options.endpointUrl)) throw new TypeError('endpointUrl must be an http(s) URL');
    // A chat reply is short: a shorter timeout and backoff than an image's.
    this.policy = new HttpPolicy({
      ...options,
      timeoutMs: options.timeoutMs ?? 30_000, baseBackoffMs: options.baseBackoffMs ?? 250, maxBackoffMs: options.maxBackoffMs ?? 10_000,
    });
  }

  async extract(text: string, call: { signal?: AbortSignal } = {}): Promise<Extraction> {
    const o = this.options;
    const comments = typeof text === 'string' ? text.trim().slice(0, MAX_COMMENT_CHARS) : '';
    if (!comments) return { liked: [], disliked: [] };
    const target = { task: 'chat completion', url: o.endpointUrl, model: o.model };
    const content = await this.policy.run(target, async ({ fetch, signal }) => {
      const reply: unknown = await chatCompletion(
        {
          endpointUrl: o.endpointUrl, model: o.model, accessToken: o.accessToken,
          messages: [{ role: 'system', content: VIPER_SYSTEM_PROMPT }, { role: 'user', content: viperUserPrompt(comments) }],
          max_tokens: o.maxTokens ?? 256, temperature: 0,
        },
        { fetch, signal, retry_on_error: false },
      );
      const content = (reply as { choices?: { message?: { content?: unknown } }[] } | undefined)?.choices?.[0]?.message?.content;
      if (typeof content !== 'string') throw new Error('the reply has no choices[0].message.content');
      return content;
    }, call.signal);
    return parseViperReply(this.policy.redact(content));
  }
}
