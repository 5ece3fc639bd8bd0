// Delivers job-end webhooks: a JSON body signed with HMAC-SHA256, retried with exponential backoff
// on network errors, timeouts, 408, 429 and 5xx. Redirects are not followed (one could lead to an
// internal address). The socket connects only to addresses the policy allows, checked at connect
// time, so a name that resolved to a public address at the edge cannot be rebound to 127.0.0.1.
import { createHmac, randomUUID } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { hostOf, WebhookPolicy, WebhookUrlError } from './address-policy.ts';

export interface WebhookTarget {
  readonly url: string;
  /** Shared with the receiver, who recomputes the signature to trust the body. */
  readonly secret: string;
}

export interface DeliveryResult {
  readonly delivered: boolean;
  readonly attempts: number;
  readonly status?: number;
  readonly error?: string;
}

export interface WebhookSenderOptions {
  /** Tries in all, the first included. */
  readonly attempts?: number;
  /** Retry k waits backoffMs * 2^(k-1). */
  readonly backoffMs?: number;
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

export const SIGNATURE_HEADER = 'x-atelier-signature';
export const TIMESTAMP_HEADER = 'x-atelier-timestamp';
export const DELIVERY_HEADER = 'x-atelier-delivery';

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`); the timestamp stops replays. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

class RetryableError extends Error {}

export class WebhookSender {
  private readonly pending = new Set<Promise<DeliveryResult>>();
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly stop = new AbortController();

  constructor(
    private readonly policy: WebhookPolicy,
    options: WebhookSenderOptions = {},
  ) {
    this.attempts = options.attempts ?? 5;
    this.backoffMs = options.backoffMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.log = options.log ?? ((line) => console.error(line));
  }

  /** In the background; close() waits for what is in flight. */
  deliver(target: WebhookTarget, payload: object): void {
    const p = this.send(target, payload).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  async send(target: WebhookTarget, payload: object): Promise<DeliveryResult> {
    const body = JSON.stringify(payload);
    const delivery = randomUUID();
    let last: DeliveryResult = { delivered: false, attempts: 0 };
    for (let attempt = 1; attempt <= this.attempts && !this.stop.signal.aborted; attempt++) {
      if (attempt > 1) await sleep(this.backoffMs * 2 ** (attempt - 2), this.stop.signal);
      try {
        const status = await this.post(target, body, delivery);
        return { delivered: true, attempts: attempt, status };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        last = { delivered: false, attempts: attempt, error: message, ...(err instanceof HttpStatusError && { status: err.status }) };
        const retryable = err instanceof HttpStatusError ? err.retryable : err instanceof RetryableError;
        if (!retryable) break;
      }
    }
    this.log(`webhook ${new URL(target.url).origin}: not delivered after ${last.attempts} attempt(s): ${last.error}`);
    return last;
  }

  /** Stops retrying and waits for the attempts in flight. */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled([...this.pending]);
  }

  private post(target: WebhookTarget, body: string, delivery: string): Promise<number> {
    const url = this.policy.parse(target.url);
    const timestamp = String(Date.now());
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        timeout: this.timeoutMs,
        lookup: isIP(hostOf(url)) ? undefined : this.guardedLookup(),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'atelier-webhooks/1',
          [TIMESTAMP_HEADER]: timestamp,
          [DELIVERY_HEADER]: delivery,
          [SIGNATURE_HEADER]: signWebhook(target.secret, timestamp, body),
        },
      }, (res: IncomingMessage) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(status);
        else reject(new HttpStatusError(status, status === 408 || status === 429 || status >= 500));
      });
      req.on('timeout', () => req.destroy(new RetryableError(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(err instanceof RetryableError || err instanceof WebhookUrlError ? err : new RetryableError(err.message)));
      req.end(body);
    });
  }

  private guardedLookup(): LookupFunction {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, '', 0);
        const allowed = addresses.filter((a) => this.policy.allowsAddress(a.address));
        if (allowed.length === 0) return callback(new WebhookUrlError(`a public address; ${hostname} resolves to ${addresses[0]?.address ?? 'nothing'}`), '', 0);
        if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
        else callback(null, allowed[0]!.address, allowed[0]!.family);
      });
    };
  }
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryable: boolean,
  ) {
    super(`answered ${status}`);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
