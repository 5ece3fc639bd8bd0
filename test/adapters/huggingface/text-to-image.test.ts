import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { RemoteBackendError } from '../../../adapters/huggingface/remote-backend-error.ts';
import { RemoteTextToImage, type RemoteTextToImageOptions } from '../../../adapters/huggingface/text-to-image.ts';
import { PromptTokenizer } from '../../../adapters/onnx/tokenizer.ts';
import { GenerationCancelledError, GenerationInputError } from '../../../pipeline/diffusion/errors.ts';
import { ROOT } from '../../helpers.ts';
import { seedColour, startFakeInferenceApi, type Reply, type SeenRequest } from '../../support/fake-inference-api.ts';

// RemoteTextToImage against a fake Inference API over real HTTP on 127.0.0.1 (never the internet).
const TOKEN = 'hf_imageSECRET0987654321';
const logs: string[] = [];
let api: Awaited<ReturnType<typeof startFakeInferenceApi>>;
let queue: Reply[];
let seen: SeenRequest[];
let base = '';
let tokenizer: PromptTokenizer;
before(async () => {
  tokenizer = PromptTokenizer.fromFolder(resolve(ROOT, 'models', 'clip-tokenizer'));
  api = await startFakeInferenceApi();
  ({ base, queue, seen } = api);
});
after(() => api.close());

const backend = (extra: Partial<RemoteTextToImageOptions> = {}) =>
  new RemoteTextToImage({
    model: 'tiny-sd', endpointUrl: `${base}/models/tiny-sd`, accessToken: TOKEN, tokenizer,
    timeoutMs: 2000, baseBackoffMs: 10, maxBackoffMs: 5000, log: (line) => logs.push(line), ...extra,
  });
const request = { prompt: 'a red star', negativePrompt: 'blurry', steps: 12, guidance: 4, width: 64, height: 48 };
const pixel = (im: { width: number; pixels: Uint8Array }, x: number, y: number) => [...im.pixels.subarray((y * im.width + x) * 3, (y * im.width + x) * 3 + 3)];
const near = (got: number[], want: readonly number[], tolerance: number) => got.every((v, i) => Math.abs(v - want[i]!) <= tolerance);
const noToken = (e: unknown) => {
  const text = `${(e as Error).message}\n${(e as Error).stack}\n${JSON.stringify(e)}\n${String((e as Error).cause ?? '')}`;
  assert.ok(!text.includes(TOKEN), `token leaked: ${text}`);
  return true;
};
const fresh = () => {
  seen.length = 0;
  logs.length = 0;
};

test('one request per seed; each image decoded to 8-bit RGB at the size asked; progress per image', async () => {
  fresh();
  const t2i = backend();
  assert.equal(t2i.acceptsEmbeddings, false);
  assert.equal(t2i.provider, 'remote:endpoint');
  assert.equal(t2i.maxTokens, 77);
  assert.equal(t2i.countTokens('a photo of a cat'), 7); // CLIP's ids: start, 5 words, end
  queue.push({ image: 'png', scale: 2 }, { image: 'jpeg' }, { image: 'webp' }, { image: 'rgba-png' }, { image: 'gray-png' });
  const progress: string[] = [];
  const result = await t2i.generate({ ...request, seeds: [7, 8, 9, 10, 11] }, { onProgress: (p) => progress.push(`${p.step}/${p.total}`) });
  assert.deepEqual(result.images.map((im) => [im.seed, im.width, im.height, im.pixels.length]), [7, 8, 9, 10, 11].map((s) => [s, 64, 48, 64 * 48 * 3]));
  for (const im of result.images.slice(0, 4)) assert.ok(near(pixel(im, 10, 20), seedColour(im.seed), 6), `seed ${im.seed}: ${pixel(im, 10, 20)}`);
  assert.deepEqual(pixel(result.images[4]!, 0, 0), [90, 90, 90]);
  assert.deepEqual(progress, ['1/5', '2/5', '3/5', '4/5', '5/5']);
  assert.deepEqual(result.params, { steps: 12, guidance: 4, width: 64, height: 48, scheduler: 'provider-default' });
  assert.deepEqual(result.truncated, []);
  assert.deepEqual(seen.map((s) => s.body.parameters.seed), [7, 8, 9, 10, 11]);
  for (const s of seen) {
    assert.equal(s.url, '/models/tiny-sd');
    assert.equal(s.auth, `Bearer ${TOKEN}`);
    assert.deepEqual(s.body, { inputs: 'a red star', parameters: { negative_prompt: 'blurry', num_inference_steps: 12, guidance_scale: 4, width: 64, height: 48, seed: s.body.parameters.seed } });
  }
  assert.ok(logs.some((l) => /returned 128x96 for 64x48; resized/.test(l)), logs.join('\n'));
});

test('with several requests in flight, images still come back in seed order, each from its own seed', async () => {
  fresh();
  queue.push({ image: 'png', delayMs: 150 }, { image: 'png', delayMs: 75 }, { image: 'png' });
  const result = await backend({ concurrency: 3 }).generate({ ...request, seeds: [3, 4, 5] });
  assert.deepEqual(result.images.map((im) => im.seed), [3, 4, 5]);
  for (const im of result.images) assert.deepEqual(pixel(im, 0, 0), [...seedColour(im.seed)]);
});

test('only text crosses the wire: embeddings and extra guidance are dropped and logged, an embedded prompt is refused', async () => {
  fresh();
  const embeds = { data: new Float32Array(77 * 8), dims: [1, 77, 8] };
  queue.push({ image: 'png' });
  const long = Array.from({ length: 90 }, () => 'cat').join(' ');
  const result = await backend().generate({ ...request, prompt: long, negativePrompt: embeds, extraGuidance: [{ condition: { text: 'teal' }, weight: 0.85 }], seeds: [1] });
  assert.equal(result.images.length, 1);
  assert.equal(seen[0]!.body.parameters.negative_prompt, undefined);
  assert.ok(logs.some((l) => /negative prompt embeddings and 1 extra guidance term\(s\) dropped/.test(l)), logs.join('\n'));
  assert.deepEqual(result.truncated, [{ field: 'prompt', tokens: 92, budget: 77 }]);
  await assert.rejects(backend().generate({ ...request, prompt: embeds, seeds: [1] }), (e) => e instanceof GenerationInputError && e.field === 'prompt');
  await assert.rejects(backend().generate({ ...request, width: 60, seeds: [1] }), (e) => e instanceof GenerationInputError && e.field === 'width');
  assert.equal(seen.length, 1);
  assert.throws(() => backend({ provider: 'fal-ai' }), /one or the other/);
  assert.throws(() => new RemoteTextToImage({ model: 'm', provider: 'nowhere', tokenizer }), /provider: one of .*fal-ai/);
});

test('429 with Retry-After waits as long as asked, then succeeds', async () => {
  fresh();
  queue.push({ status: 429, headers: { 'retry-after': '1' }, json: { error: 'Rate limit reached' } }, { image: 'png' });
  const start = performance.now();
  const result = await backend().generate({ ...request, seeds: [2] });
  assert.ok(performance.now() - start >= 950, `waited only ${performance.now() - start} ms`);
  assert.equal(result.images[0]!.seed, 2);
  assert.equal(seen.length, 2);
  assert.deepEqual(seen.map((s) => s.body.parameters.seed), [2, 2]);
  assert.ok(logs.some((l) => /HTTP 429\): Failed to perform inference: Rate limit reached; retry 1 of 2 in 1000 ms/.test(l)), logs.join('\n'));
});

test('503 (model loading) then success; 5xx until the retries run out; 4xx is not retried', async () => {
  fresh();
  queue.push({ status: 503, json: { error: 'Model tiny-sd is currently loading', estimated_time: 1 } }, { image: 'png' });
  assert.equal((await backend().generate({ ...request, seeds: [4] })).images.length, 1);
  assert.equal(seen.length, 2);
  assert.ok(logs.some((l) => /HTTP 503\).*currently loading; retry 1 of 2 in 10 ms/.test(l)), logs.join('\n'));
  fresh();
  queue.push(...Array.from({ length: 3 }, () => ({ status: 502, json: { error: 'bad gateway' } })));
  await assert.rejects(backend().generate({ ...request, seeds: [4] }), (e) =>
    e instanceof RemoteBackendError && e.status === 502 && e.tries === 3 && e.transient &&
    e.request.method === 'POST' && e.request.url === `${base}/models/tiny-sd` && e.request.model === 'tiny-sd' && /after 3 tries/.test(e.message));
  queue.push({ status: 400, json: { error: 'width must be a multiple of 64' } });
  await assert.rejects(backend().generate({ ...request, seeds: [4] }), (e) => e instanceof RemoteBackendError && e.status === 400 && e.tries === 1 && !e.transient && /multiple of 64/.test(e.message));
  assert.equal(seen.length, 4);
});

test('a try that outlives the timeout is abandoned at the socket, and retried', async () => {
  fresh();
  queue.push({ image: 'png', delayMs: 600 });
  await assert.rejects(backend({ timeoutMs: 100, retries: 0 }).generate({ ...request, seeds: [5] }), (e) =>
    e instanceof RemoteBackendError && e.status === undefined && e.transient && /timed out after 100 ms/.test(e.message));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(seen[0]!.aborted, true);
  queue.push({ image: 'png', delayMs: 600 }, { image: 'png' });
  assert.equal((await backend({ timeoutMs: 200, retries: 1 }).generate({ ...request, seeds: [5] })).images.length, 1);
  assert.equal(seen.length, 3);
  await new Promise((r) => setTimeout(r, 650)); // let the delayed replies drain
});

test('malformed bodies fail at once, naming the request', async () => {
  fresh();
  queue.push({ raw: 'not an image', headers: { 'content-type': 'image/png' } });
  await assert.rejects(backend().generate({ ...request, seeds: [6] }), (e) => e instanceof RemoteBackendError && e.status === 200 && !e.transient && /unsupported image format/.test(e.message));
  queue.push({ image: 'gif' });
  await assert.rejects(backend().generate({ ...request, seeds: [6] }), /expected a PNG, JPEG or WebP image, got gif/);
  queue.push({ json: { images: [] } });
  await assert.rejects(backend().generate({ ...request, seeds: [6] }), (e) => e instanceof RemoteBackendError && /malformed response/.test(e.message));
  queue.push({ raw: '{"data": [', headers: { 'content-type': 'application/json' } });
  await assert.rejects(backend().generate({ ...request, seeds: [6] }), (e) => e instanceof RemoteBackendError && e.tries === 1 && /HTTP 200/.test(e.message));
  assert.equal(seen.length, 4);
});

test('cancellation aborts the request in flight, and a Retry-After wait', async () => {
  fresh();
  queue.push({ image: 'png' }, { image: 'png', delayMs: 1000 });
  const controller = new AbortController();
  const progress: number[] = [];
  const start = performance.now();
  const run = backend().generate({ ...request, seeds: [1, 2] }, {
    signal: controller.signal,
    onProgress: (p) => {
      progress.push(p.step);
      setTimeout(() => controller.abort(new Error('user cancelled')), 50);
    },
  });
  await assert.rejects(run, (e) => e instanceof GenerationCancelledError && (e.reason as Error).message === 'user cancelled');
  assert.ok(performance.now() - start < 800);
  assert.deepEqual(progress, [1]);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(seen[1]!.aborted, true);
  queue.push({ status: 429, headers: { 'retry-after': '30' }, json: { error: 'slow down' } });
  const waiting = new AbortController();
  setTimeout(() => waiting.abort(new Error('gave up')), 100);
  const t0 = performance.now();
  await assert.rejects(backend().generate({ ...request, seeds: [1] }, { signal: waiting.signal }), GenerationCancelledError);
  assert.ok(performance.now() - t0 < 1000);
  await new Promise((r) => setTimeout(r, 1000)); // let the delayed reply drain
});

test('the token never appears in an error or a log line, even when the server echoes it', async () => {
  fresh();
  queue.push({ status: 401, json: { error: `Invalid credentials in Authorization header: Bearer ${TOKEN}` } });
  await assert.rejects(backend().generate({ ...request, seeds: [8] }), (e) => e instanceof RemoteBackendError && e.status === 401 && noToken(e));
  queue.push(...Array.from({ length: 3 }, () => ({ status: 500, raw: `internal error for token ${TOKEN}` })));
  await assert.rejects(backend().generate({ ...request, seeds: [8] }), (e) => e instanceof RemoteBackendError && e.tries === 3 && /\[REDACTED\]/.test(e.message) && noToken(e));
  queue.push({ status: 500, json: { error: 'boom' } });
  const leakyUrl = `${base}/models/tiny-sd?api_key=${TOKEN}`;
  await assert.rejects(backend({ endpointUrl: leakyUrl, retries: 0 }).generate({ ...request, seeds: [8] }), (e) => e instanceof RemoteBackendError && !e.request.url.includes(TOKEN) && noToken(e));
  assert.equal(seen[0]!.auth, `Bearer ${TOKEN}`); // it was sent, where it belongs
  assert.ok(logs.length >= 2 && logs.some((l) => l.includes('[REDACTED]')), logs.join('\n'));
  assert.ok(!logs.join('\n').includes(TOKEN), 'token leaked into a log line');
  assert.equal(queue.length, 0);
});
