// How every call to a hosted model behaves, written once: a timeout per try combined with the
// caller's AbortSignal, retries with exponential backoff on 429, 5xx, timeouts and network
// errors (Retry-After honoured, in seconds or as an HTTP date), and RemoteBackendError with the
// access token redacted from every message and log line.
//
// The policy hands each try a fetch wrapper to pass to @huggingface/inference: the library's
// errors do not expose response headers, so the wrapper records the request, the status and
// Retry-After itself, and it puts the combined signal on every request so cancellation reaches
// the socket. Callers must pass `retry_on_error: false` so the library does not retry 503s
// behind the policy's back.
import { setTimeout as delay } from 'node:timers/promises';
import { RemoteBackendError, type RemoteRequest } from './remote-backend-error.ts';

export interface HttpPolicyOptions {
  /** HF_TOKEN or a provider key; only ever sent in the Authorization header. */
  readonly accessToken?: string;
  readonly fetch?: typeof fetch;
  /** Per try, milliseconds. */
  readonly timeoutMs?: number;
  /** Tries after the first. */
  readonly retries?: number;
  /** The first wait; each later one doubles. */
  readonly baseBackoffMs?: number;
  /** Longest wait between two tries, whatever Retry-After says. */
  readonly maxBackoffMs?: number;
  /** Receives redacted lines only. */
  readonly log?: (line: string) => void;
}

export const POLICY_DEFAULTS = { timeoutMs: 60_000, retries: 2, baseBackoffMs: 500, maxBackoffMs: 30_000 } as const;

/** What one try gets: pass both to the library call. */
export interface Attempt {
  readonly fetch: typeof fetch;
  readonly signal: AbortSignal;
}

/** What a call is about, for errors raised before any request went out. */
export interface CallTarget {
  /** In words, e.g. "text-to-image". */
  readonly task: string;
  readonly url: string;
  readonly model?: string;
}

/** Retry-After as milliseconds from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const urlOf = (input: string | URL | Request) => (typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class HttpPolicy {
  private readonly settings: Required<Omit<HttpPolicyOptions, 'accessToken' | 'fetch' | 'log'>>;

  constructor(private readonly options: HttpPolicyOptions = {}) {
    this.settings = {
      timeoutMs: options.timeoutMs ?? POLICY_DEFAULTS.timeoutMs,
      retries: options.retries ?? POLICY_DEFAULTS.retries,
      baseBackoffMs: options.baseBackoffMs ?? POLICY_DEFAULTS.baseBackoffMs,
      maxBackoffMs: options.maxBackoffMs ?? POLICY_DEFAULTS.maxBackoffMs,
    };
    const { timeoutMs, retries } = this.settings;
    if (!(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new TypeError(`timeoutMs: a positive integer (got ${timeoutMs})`);
    if (!(Number.isInteger(retries) && retries >= 0)) throw new TypeError(`retries: an integer >= 0 (got ${retries})`);
  }

  /** The token, anything shaped like an HF token, and credentials inside URLs, replaced. */
  redact(text: string): string {
    const token = this.options.accessToken;
    const out = token ? text.split(token).join('[REDACTED]') : text;
    return out.replace(/\bhf_[A-Za-z0-9]{8,}/g, 'hf_[REDACTED]').replace(/(\/\/)[^/@\s]+@/g, '$1[REDACTED]@');
  }

  log(line: string): void {
    (this.options.log ?? ((l: string) => console.error(l)))(this.redact(line));
  }

  /**
   * Runs `call` until it succeeds, fails for good, or the caller's signal aborts (then the
   * signal's reason is thrown as is). Anything `call` throws becomes a RemoteBackendError;
   * retried only when no response came or the response was 429 or 5xx.
   */
  async run<T>(target: CallTarget, call: (attempt: Attempt) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { timeoutMs, retries, baseBackoffMs, maxBackoffMs } = this.settings;
    const baseFetch = this.options.fetch ?? fetch;
    const fallback: RemoteRequest = { method: 'POST', url: this.redact(target.url), model: target.model };
    for (let tries = 1; ; tries++) {
      signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let request = fallback;
      let sent = false;
      let status: number | undefined;
      let retryAfterMs: number | undefined;
      const recordingFetch: typeof fetch = async (input, init) => {
        const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
        request = { method, url: this.redact(urlOf(input)), model: target.model };
        sent = true;
        status = retryAfterMs = undefined;
        const response = await baseFetch(input, { ...init, signal: combined });
        status = response.status;
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        return response;
      };
      try {
        return await call({ fetch: recordingFetch, signal: combined });
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        const timedOut = timeout.aborted;
        const transient = timedOut || (status === undefined ? sent : status === 429 || status >= 500);
        const why = timedOut ? `timed out after ${timeoutMs} ms` : messageOf(err);
        const answer = status === undefined ? 'no response' : `HTTP ${status}`;
        const where = `${request.method} ${request.url}${request.model ? `, model ${request.model}` : ''}`;
        const message = this.redact(`${target.task} failed after ${tries} tries (${where}, ${answer}): ${why}`);
        if (!transient || tries > retries) throw new RemoteBackendError(message, request, status, tries, transient);
        const wait = Math.min(maxBackoffMs, retryAfterMs ?? baseBackoffMs * 2 ** (tries - 1));
        this.log(`${message}; retry ${tries} of ${retries} in ${Math.round(wait)} ms`);
        await delay(wait, undefined, { signal }).catch(() => {
          throw signal?.reason;
        });
      }
    }
  }
}
