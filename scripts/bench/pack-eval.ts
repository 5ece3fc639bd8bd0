// Evaluates the bundled model pack against the issue's targets:
//  - the judge's own accuracy on fresh renders (it must be >= 95% per family to be trusted);
//  - prompt faithfulness: prompts naming all five attributes, read back by the judge;
//  - openness: attributes a prompt leaves open vary across seeds (normalized entropy);
//  - embedder: zero-shot attribute accuracy on fresh renders, image->caption recall@1;
//  - speed: one UNet call at batch 2, one whole image at default steps with CFG.
//   npm run bench:pack -- [--json] [--samples 200] [--open-seeds 24]
import { parseArgs } from 'node:util';
import { loadDiffusionModel, loadEmbedder, loadJudge, DEFAULT_MODEL_DIR } from '../../adapters/wire.ts';
import { TextToImage } from '../../pipeline/diffusion/text-to-image.ts';
import { caption } from '../world/caption.ts';
import { mulberry32 } from '../world/prng.ts';
import { render } from '../world/render.ts';
import { randomAttributes } from '../world/sample.ts';
import { vocabulary, type Attributes } from '../world/vocabulary.ts';

export interface PackEvalOptions {
  samples: number;
  openSeeds: number;
  modelDir?: string;
  threads?: number;
  seed?: number;
}

const families = vocabulary.caption_order;
const values = Object.fromEntries(families.map((f) => [f, vocabulary.families[f]!.values]));
const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

function accuracy(truth: Attributes[], read: Record<string, string>[]): Record<string, number> {
  return Object.fromEntries(families.map((f) => [f, truth.filter((t, i) => t[f] === read[i]![f]).length / truth.length]));
}

function normalizedEntropy(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const h = counts.reduce((s, c) => (c ? s - (c / total) * Math.log(c / total) : s), 0);
  return h / Math.log(counts.length);
}

export async function evaluatePack(o: PackEvalOptions) {
  const modelDir = o.modelDir ?? DEFAULT_MODEL_DIR;
  const model = await loadDiffusionModel({ modelDir, device: 'cpu', threads: o.threads, log: () => {} });
  const judge = await loadJudge(values, modelDir);
  const embedder = await loadEmbedder({ modelDir: `${modelDir}/clip`, threads: o.threads, log: () => {} });
  const t2i = new TextToImage(model);
  const rng = mulberry32(o.seed ?? 2024);
  try {
    // 1. The judge on fresh renders (seeds far from the training set's).
    const fresh = Array.from({ length: Math.max(200, o.samples) }, () => randomAttributes(rng));
    const freshImages = fresh.map((a, i) => render(a, 900_000_000 + i));
    const judgeAccuracy = accuracy(fresh, await judge.classify(freshImages));

    // 2. Faithfulness: every family named in the prompt.
    const asked = Array.from({ length: o.samples }, () => randomAttributes(rng));
    const generated: Uint8Array[] = [];
    for (const [i, a] of asked.entries()) {
      const r = await t2i.generate({ prompt: caption(a), seeds: [10_000 + i] });
      generated.push(r.images[0]!.pixels);
    }
    const faithfulness = accuracy(asked, await judge.classify(generated));

    // 3. Openness: content-only prompts, style families left to the model.
    const styleFamilies = families.filter((f) => vocabulary.families[f]!.kind === 'style');
    const counts = Object.fromEntries(styleFamilies.map((f) => [f, values[f]!.map(() => 0)]));
    for (const shape of values.shape!) {
      const r = await t2i.generate({ prompt: caption({ shape }, new Set(['shape'])), seeds: Array.from({ length: o.openSeeds }, (_, i) => 50_000 + i) });
      for (const read of await judge.classify(r.images.map((im) => im.pixels))) {
        for (const f of styleFamilies) counts[f]![values[f]!.indexOf(read[f]!)]! += 1;
      }
    }
    const openness = Object.fromEntries(styleFamilies.map((f) => [f, normalizedEntropy(counts[f]!)]));

    // 4. Embedder: zero-shot per family and image -> caption retrieval on fresh renders.
    const imageEmbeds = await embedder.embedImages(freshImages.map((pixels) => ({ pixels, width: 32, height: 32 })));
    const zeroShot: Record<string, number> = {};
    for (const f of families) {
      const prompts = values[f]!.map((v) => caption({ [f]: v }, new Set([f])));
      const textEmbeds = await embedder.embedTexts(prompts);
      const hits = imageEmbeds.filter((e, i) => {
        const scores = textEmbeds.map((t) => dot(e, t));
        return values[f]![scores.indexOf(Math.max(...scores))] === fresh[i]![f];
      }).length;
      zeroShot[f] = hits / fresh.length;
    }
    const captions = fresh.slice(0, 100).map((a) => caption(a));
    const captionEmbeds = await embedder.embedTexts(captions);
    const recallAt1 = imageEmbeds.slice(0, 100).filter((e, i) => {
      const scores = captionEmbeds.map((t) => dot(e, t));
      return captions[scores.indexOf(Math.max(...scores))] === captions[i];
    }).length / 100;

    // 5. Speed: one UNet call at batch 2, and one whole image.
    const ctx = await model.encodeText([model.tokenize('').ids, model.tokenize('a red circle').ids]);
    const f = model.latentFactor;
    const sample = { data: new Float32Array(2 * model.latentChannels * (model.defaults.height / f) * (model.defaults.width / f)), dims: [2, model.latentChannels, model.defaults.height / f, model.defaults.width / f] };
    for (let i = 0; i < 5; i++) await model.predict(sample, 500, ctx);
    let t = performance.now();
    for (let i = 0; i < 50; i++) await model.predict(sample, 500, ctx);
    const unetBatch2Ms = (performance.now() - t) / 50;
    t = performance.now();
    for (let i = 0; i < 5; i++) await t2i.generate({ prompt: 'a red striped circle, on a teal background', seeds: [i] });
    const imageMs = (performance.now() - t) / 5;

    return {
      model: model.name, samples: o.samples, steps: model.defaults.steps, guidance: model.defaults.guidance,
      judge_accuracy: judgeAccuracy, faithfulness, openness, embedder: { zero_shot: zeroShot, recall_at_1: recallAt1 },
      speed: { unet_batch2_ms: unetBatch2Ms, image_ms: imageMs, threads: o.threads ?? 'default' },
    };
  } finally {
    await Promise.all([model.release(), judge.release(), embedder.release()]);
  }
}

if (process.argv[1]?.endsWith('pack-eval.ts')) {
  const { values: v } = parseArgs({
    options: { json: { type: 'boolean', default: false }, samples: { type: 'string', default: '200' }, 'open-seeds': { type: 'string', default: '24' }, threads: { type: 'string', default: '2' }, model: { type: 'string' } },
  });
  const result = await evaluatePack({ samples: Number(v.samples), openSeeds: Number(v['open-seeds']), threads: Number(v.threads), modelDir: v.model });
  if (v.json) console.log(JSON.stringify(result, null, 2));
  else {
    const pct = (r: Record<string, number>) => Object.entries(r).map(([k, x]) => `${k} ${(x * 100).toFixed(1)}%`).join(', ');
    console.log(`judge on fresh renders: ${pct(result.judge_accuracy)}`);
    console.log(`faithfulness (${result.samples} prompts naming every family): ${pct(result.faithfulness)}`);
    console.log(`openness (normalized entropy): ${Object.entries(result.openness).map(([k, x]) => `${k} ${x.toFixed(2)}`).join(', ')}`);
    console.log(`embedder zero-shot: ${pct(result.embedder.zero_shot)}; recall@1 ${(result.embedder.recall_at_1 * 100).toFixed(1)}%`);
    console.log(`speed: UNet batch 2 ${result.speed.unet_batch2_ms.toFixed(2)} ms, one image ${result.speed.image_ms.toFixed(0)} ms`);
  }
}
