// The generation recipe on a real (tiny, random-weight) ONNX export. The same checks run on
// the bundled pack in test/models/pack.test.ts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OnnxSdModel } from '../../../adapters/onnx/sd-model.ts';
import { GenerationInputError } from '../../../pipeline/diffusion/errors.ts';
import { TextToImage } from '../../../pipeline/diffusion/text-to-image.ts';
import { FIXTURES, quiet } from '../../helpers.ts';

let model: OnnxSdModel;
let t2i: TextToImage;
before(async () => {
  model = await OnnxSdModel.load(join(FIXTURES, 'tiny-sd-int64-timestep'), { device: 'cpu', threads: 1, ...quiet });
  t2i = new TextToImage(model);
});
after(() => model.release());

const base = { prompt: 'a red striped circle', steps: 4, guidance: 3 };
const equal = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

test('same seed twice gives identical pixels; different seeds differ', async () => {
  const a = await t2i.generate({ ...base, seeds: [7] });
  const b = await t2i.generate({ ...base, seeds: [7] });
  const c = await t2i.generate({ ...base, seeds: [8] });
  assert.ok(equal(a.images[0]!.pixels, b.images[0]!.pixels));
  assert.ok(!equal(a.images[0]!.pixels, c.images[0]!.pixels));
});

test('an image depends on its seed only, not on n or its position in the batch', async () => {
  const alone = await t2i.generate({ ...base, seeds: [7] });
  const batch = await t2i.generate({ ...base, seeds: [5, 6, 7] });
  const reversed = await t2i.generate({ ...base, seeds: [7, 9] });
  assert.deepEqual(batch.images.map((i) => i.seed), [5, 6, 7]);
  assert.ok(equal(alone.images[0]!.pixels, batch.images[2]!.pixels));
  assert.ok(equal(alone.images[0]!.pixels, reversed.images[0]!.pixels));
  for (const s of ['euler', 'euler-a'] as const) {
    const one = await t2i.generate({ ...base, scheduler: s, seeds: [9] });
    const many = await t2i.generate({ ...base, scheduler: s, seeds: [7, 8, 9] });
    assert.ok(equal(one.images[0]!.pixels, many.images[2]!.pixels), s);
  }
});

test('the negative prompt and extra guidance terms change the output', async () => {
  const plain = await t2i.generate({ ...base, seeds: [3] });
  const negative = await t2i.generate({ ...base, negativePrompt: 'blue', seeds: [3] });
  const extra = await t2i.generate({ ...base, seeds: [3], extraGuidance: [{ condition: { text: 'teal background' }, weight: 0.85 }] });
  assert.ok(!equal(plain.images[0]!.pixels, negative.images[0]!.pixels));
  assert.ok(!equal(plain.images[0]!.pixels, extra.images[0]!.pixels));
});

test('prompt embeddings may be passed instead of text and give the same image', async () => {
  const ids = model.tokenize(base.prompt).ids;
  const embeds = await model.encodeText([ids]);
  const fromText = await t2i.generate({ ...base, seeds: [4] });
  const fromEmbeds = await t2i.generate({ ...base, prompt: embeds, seeds: [4] });
  assert.ok(equal(fromText.images[0]!.pixels, fromEmbeds.images[0]!.pixels));
});

test('progress is reported for every step', async () => {
  const seen: number[] = [];
  await t2i.generate({ ...base, steps: 5, seeds: [1, 2] }, { onProgress: (p) => seen.push(p.step) });
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
});

test('cancellation stops within one step', async () => {
  const controller = new AbortController();
  const seen: number[] = [];
  await assert.rejects(
    t2i.generate({ ...base, steps: 10, seeds: [1] }, {
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.step);
        if (p.step === 3) controller.abort();
      },
    }),
    (err: Error) => err.name === 'AbortError' && /before step 4/.test(err.message),
  );
  assert.deepEqual(seen, [1, 2, 3]);
});

test('an empty prompt is allowed; a prompt over the token budget is reported', async () => {
  const empty = await t2i.generate({ ...base, prompt: '', seeds: [1] });
  assert.equal(empty.images.length, 1);
  assert.deepEqual(empty.truncated, []);
  const long = await t2i.generate({ ...base, prompt: Array(40).fill('red').join(' '), seeds: [1] });
  assert.deepEqual(long.truncated, [{ field: 'prompt', tokens: 42, budget: 32 }]);
});

const bad: [string, object][] = [
  ['steps', { steps: 0 }],
  ['steps', { steps: 2.5 }],
  ['guidance', { guidance: -1 }],
  ['n', { seeds: [] }],
  ['seed', { seeds: [-3] }],
  ['width', { width: 33 }],
  ['height', { height: 0 }],
  ['scheduler', { scheduler: 'plms' }],
];
for (const [field, change] of bad) {
  test(`bad ${field} fails naming the field: ${JSON.stringify(change)}`, async () => {
    await assert.rejects(t2i.generate({ ...base, seeds: [1], ...change }), (err: unknown) =>
      err instanceof GenerationInputError && err.field === field && err.message.startsWith(`${field}: `));
  });
}
