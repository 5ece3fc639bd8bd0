import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpPolicy, parseRetryAfter } from '../../../adapters/huggingface/http-policy.ts';
import { RemoteBackendError } from '../../../adapters/huggingface/remote-backend-error.ts';

test('Retry-After in seconds or as an HTTP date, relative to now', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter(' 1.5 ', now), 1500);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0); // already past
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});

test('redaction covers the token, other HF-shaped tokens and URL credentials', () => {
  const policy = new HttpPolicy({ accessToken: 'sk-provider-key-42', log: () => {} });
  assert.equal(policy.redact('key sk-provider-key-42 twice sk-provider-key-42'), 'key [REDACTED] twice [REDACTED]');
  assert.equal(policy.redact('Bearer hf_abcdefghijKLMNOP'), 'Bearer hf_[REDACTED]');
  assert.equal(policy.redact('https://user:pass@host.example/v1'), 'https://[REDACTED]@host.example/v1');
  assert.equal(policy.redact('nothing secret'), 'nothing secret');
});

test('an error raised before any request goes out is not retried, and names the target', async () => {
  let calls = 0;
  const policy = new HttpPolicy({ retries: 3, baseBackoffMs: 1, log: () => {} });
  await assert.rejects(
    policy.run({ task: 'text-to-image', url: 'provider fal-ai', model: 'm' }, async () => {
      calls++;
      throw new Error('Specifying both endpointUrl and provider is not supported.');
    }),
    (e) => e instanceof RemoteBackendError && !e.transient && e.tries === 1 && e.request.url === 'provider fal-ai' &&
      /^text-to-image failed after 1 tries \(POST provider fal-ai, model m, no response\)/.test(e.message),
  );
  assert.equal(calls, 1);
  assert.throws(() => new HttpPolicy({ timeoutMs: 0 }), /timeoutMs: a positive integer/);
});

test('a network error (no response) is retried; the caller-supplied fetch gets the combined signal', async () => {
  const signals: (AbortSignal | null | undefined)[] = [];
  let calls = 0;
  const flaky: typeof fetch = async (_input, init) => {
    signals.push(init?.signal);
    if (++calls === 1) throw new TypeError('fetch failed');
    return new Response('ok', { status: 200 });
  };
  const policy = new HttpPolicy({ fetch: flaky, baseBackoffMs: 1, log: () => {} });
  const text = await policy.run({ task: 'chat completion', url: 'http://127.0.0.1:9/v1' }, async ({ fetch }) => (await fetch('http://127.0.0.1:9/v1', { method: 'POST' })).text());
  assert.equal(text, 'ok');
  assert.equal(calls, 2);
  assert.ok(signals.every((s) => s instanceof AbortSignal));
});
