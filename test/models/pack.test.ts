// The bundled pack: it loads through the runtime, generates, reproduces from its own PNG
// metadata, and a quick run of its evaluation works (the full evaluation is
// `npm run bench:pack`).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeImage, readImageMetadata } from '../../adapters/files/image-encoder.ts';
import { loadDiffusionModel } from '../../adapters/wire.ts';
import type { DiffusionModel } from '../../pipeline/diffusion/model.ts';
import { TextToImage } from '../../pipeline/diffusion/text-to-image.ts';
import type { SchedulerName } from '../../pipeline/diffusion/schedulers/index.ts';
import { evaluatePack } from '../../scripts/bench/pack-eval.ts';
import { PACK_DIR } from '../helpers.ts';

let model: DiffusionModel;
let t2i: TextToImage;
before(async () => {
  model = await loadDiffusionModel({ modelDir: PACK_DIR, device: 'cpu', log: () => {} });
  t2i = new TextToImage(model);
});
after(() => model.release());

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

test('the pack loads with its own defaults and generates 32x32 images', async () => {
  assert.equal(model.name, 'atelier-tiny');
  assert.equal(model.latentFactor, 2);
  assert.deepEqual([model.defaults.width, model.defaults.height], [32, 32]);
  const r = await t2i.generate({ prompt: 'a red circle', seeds: [7] });
  assert.equal(r.images[0]!.pixels.length, 32 * 32 * 3);
  const values = new Set(r.images[0]!.pixels);
  assert.ok(values.size > 8, 'not a flat image');
});

test('seed 7 alone equals seed 7 inside n = 3; the negative prompt changes the image', async () => {
  const alone = await t2i.generate({ prompt: 'a blue striped square', seeds: [7] });
  const three = await t2i.generate({ prompt: 'a blue striped square', seeds: [7, 8, 9] });
  assert.ok(same(alone.images[0]!.pixels, three.images[0]!.pixels));
  assert.ok(!same(three.images[0]!.pixels, three.images[1]!.pixels));
  const negative = await t2i.generate({ prompt: 'a blue striped square', negativePrompt: 'teal background', seeds: [7] });
  assert.ok(!same(alone.images[0]!.pixels, negative.images[0]!.pixels));
});

test('a PNG carries what is needed to reproduce it', async () => {
  const r = await t2i.generate({ prompt: 'a green checkered cross', negativePrompt: 'white background', seeds: [11], steps: 12, guidance: 3.5 });
  const { steps, guidance, width, height, scheduler } = r.params;
  const png = await encodeImage(r.images[0]!.pixels, width, height, {
    prompt: 'a green checkered cross', negativePrompt: 'white background', steps, sampler: scheduler, guidance, seed: 11, width, height, model: model.name,
  }, 'png');
  const meta = await readImageMetadata(png);
  assert.match(meta.parameters!, /^a green checkered cross\nNegative prompt: white background\nSteps: 12, Sampler: ddim, CFG scale: 3.5, Seed: 11, Size: 32x32, Model: atelier-tiny$/);
  const g = meta.generation!;
  const again = await t2i.generate({
    prompt: g.prompt, negativePrompt: g.negativePrompt, seeds: [g.seed], steps: g.steps, guidance: g.guidance,
    width: g.width, height: g.height, scheduler: g.sampler as SchedulerName,
  });
  assert.ok(same(again.images[0]!.pixels, r.images[0]!.pixels));
});

test('a quick evaluation runs and its judge is trustworthy', async () => {
  const r = await evaluatePack({ samples: 12, openSeeds: 4, threads: 2 });
  for (const [family, acc] of Object.entries(r.judge_accuracy)) assert.ok(acc >= 0.95, `judge ${family} ${acc}`);
  for (const [family, acc] of Object.entries(r.embedder.zero_shot)) assert.ok(acc >= 0.9, `embedder ${family} ${acc}`);
  for (const x of Object.values(r.faithfulness)) assert.ok(x >= 0 && x <= 1);
  assert.ok(r.faithfulness.background! > 0.5, 'the prompt steers the background well above chance (25%)');
  for (const x of Object.values(r.openness)) assert.ok(x > 0.3, 'open attributes do not collapse to one value');
});
