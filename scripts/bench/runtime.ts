// Runtime benchmark on the bundled pack (or --model DIR), measured side by side in one run:
//  - per-stage time at n = 1, 4, 8 (tokenize, text encoder, UNet per step, VAE, encode);
//  - overhead = end-to-end time / the raw session.run time of the same work;
//  - torch eager vs onnxruntime-node for the same UNet (when Debian's python3-torch exists);
//  - peak RSS.
//   npm run bench:runtime -- [--json] [--model DIR] [--threads 2] [--repeats 3]
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { encodeImage } from '../../adapters/files/image-encoder.ts';
import { sessionOptions } from '../../adapters/onnx/providers.ts';
import { DEFAULT_MODEL_DIR, loadDiffusionModel } from '../../adapters/wire.ts';
import { TextToImage } from '../../pipeline/diffusion/text-to-image.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false }, model: { type: 'string', default: DEFAULT_MODEL_DIR },
    threads: { type: 'string', default: '2' }, repeats: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '1,4,8' },
  },
});
const threads = Number(values.threads);
const repeats = Number(values.repeats);
const sizes = values.sizes!.split(',').map(Number);
const log = (s: string) => values.json || console.log(s);

const model = await loadDiffusionModel({ modelDir: values.model, device: 'cpu', threads, log: () => {} });
const t2i = new TextToImage(model);
const { steps, guidance, width, height } = model.defaults;
const prompt = 'a red striped circle, on a teal background';

// Raw sessions on the same files, fed the same shapes: the floor the pipeline is measured against.
const opts = sessionOptions('cpu', threads);
const raw = {
  text: await ort.InferenceSession.create(join(values.model!, 'text_encoder/model.onnx'), opts),
  unet: await ort.InferenceSession.create(join(values.model!, 'unet/model.onnx'), opts),
  vae: await ort.InferenceSession.create(join(values.model!, 'vae_decoder/model.onnx'), opts),
};
const idsType = (raw.text.inputMetadata[0] as { type: string }).type;
const tsMeta = raw.unet.inputMetadata.find((m) => m.name === 'timestep') as unknown as { type: string; shape: readonly unknown[] };
const L = model.maxTokens;
const f = model.latentFactor;
const [h, w] = [height / f, width / f];

async function rawRun(n: number): Promise<{ text: number; unet: number; vae: number }> {
  const ids = model.tokenize(prompt).ids;
  const idsTensor = idsType === 'int32'
    ? new ort.Tensor('int32', Int32Array.from(ids), [1, L])
    : new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, L]);
  let t = performance.now();
  const hidden = (await raw.text.run({ input_ids: idsTensor })).last_hidden_state!;
  await raw.text.run({ input_ids: idsTensor });
  const text = performance.now() - t;
  const D = hidden.dims[2]!;
  const b = 2 * n;
  const sample = new ort.Tensor('float32', new Float32Array(b * 4 * h * w).fill(0.1), [b, 4, h, w]);
  const ctx = new ort.Tensor('float32', new Float32Array(b * L * D).fill(0.1), [b, L, D]);
  const timestep = tsMeta.shape.length === 0
    ? new ort.Tensor(tsMeta.type as 'float32', Float32Array.from([500]), [])
    : new ort.Tensor('int64', BigInt64Array.from(Array(b).fill(500n)), [b]);
  t = performance.now();
  for (let s = 0; s < steps; s++) await raw.unet.run({ sample, timestep, encoder_hidden_states: ctx });
  const unet = performance.now() - t;
  t = performance.now();
  await raw.vae.run({ latent_sample: new ort.Tensor('float32', new Float32Array(n * 4 * h * w), [n, 4, h, w]) });
  const vae = performance.now() - t;
  return { text, unet, vae };
}

async function pipelineRun(n: number) {
  const timings: Record<string, number> = {};
  const start = performance.now();
  const result = await t2i.generate({ prompt, seeds: Array.from({ length: n }, (_, i) => i), steps, guidance }, { timings });
  const t = performance.now();
  for (const img of result.images) {
    await encodeImage(img.pixels, img.width, img.height, { prompt, negativePrompt: '', steps, sampler: 'ddim', guidance, seed: img.seed, width, height, model: model.name }, 'png');
  }
  timings.encode = performance.now() - t;
  return { total: performance.now() - start, timings };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
await pipelineRun(1);
await rawRun(1);
const rows = [];
for (const n of sizes) {
  const pipe: Awaited<ReturnType<typeof pipelineRun>>[] = [];
  const rawRuns: Awaited<ReturnType<typeof rawRun>>[] = [];
  for (let r = 0; r < repeats; r++) {
    rawRuns.push(await rawRun(n));
    pipe.push(await pipelineRun(n));
  }
  const rawTotal = median(rawRuns.map((x) => x.text + x.unet + x.vae));
  const total = median(pipe.map((p) => p.total));
  const stage = (k: string) => median(pipe.map((p) => p.timings[k] ?? 0));
  rows.push({
    n,
    end_to_end_ms: total,
    raw_session_run_ms: rawTotal,
    overhead: total / rawTotal,
    overhead_without_encode: (total - stage('encode')) / rawTotal,
    stages_ms: {
      tokenize: stage('tokenize'), text_encoder: stage('text_encoder'), unet_per_step: stage('denoise') / steps,
      vae: stage('vae'), encode: stage('encode'),
    },
    raw_unet_per_step_ms: median(rawRuns.map((x) => x.unet)) / steps,
    images_per_s: (n * 1000) / total,
  });
  log(`n=${n}: ${total.toFixed(1)} ms end to end, raw session.run ${rawTotal.toFixed(1)} ms, overhead ${(total / rawTotal).toFixed(3)}`);
}

// torch eager vs onnxruntime-node, the same UNet at batch 2.
let torchVsOrt: Record<string, unknown> = { skipped: 'Debian python3-torch not found at /usr/bin/python3' };
try {
  const out = execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'torch_unet.py'), '--batch', '2', '--threads', String(threads)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const torchMs = JSON.parse(out.trim().split('\n').pop()!).ms_per_call as number;
  const b = 2;
  const D = (await model.encodeText([model.tokenize('').ids])).dims[2]!;
  const feeds = {
    sample: new ort.Tensor('float32', new Float32Array(b * 4 * h * w).fill(0.1), [b, 4, h, w]),
    timestep: new ort.Tensor('int64', BigInt64Array.from([500n, 500n]), [b]),
    encoder_hidden_states: new ort.Tensor('float32', new Float32Array(b * L * D).fill(0.1), [b, L, D]),
  };
  for (let i = 0; i < 5; i++) await raw.unet.run(feeds);
  const t = performance.now();
  for (let i = 0; i < 50; i++) await raw.unet.run(feeds);
  const ortMs = (performance.now() - t) / 50;
  torchVsOrt = { torch_eager_ms: torchMs, ort_node_ms: ortMs, ratio: torchMs / ortMs, batch: b };
  log(`UNet batch 2: torch eager ${torchMs.toFixed(2)} ms, onnxruntime-node ${ortMs.toFixed(2)} ms, ${(torchMs / ortMs).toFixed(2)}x`);
} catch (err) {
  if (!(err as NodeJS.ErrnoException).code) torchVsOrt = { skipped: String(err).slice(0, 200) };
}

const summary = {
  model: model.name, provider: model.provider, threads, steps, guidance, width, height, repeats,
  rows, torch_vs_ort: torchVsOrt, peak_rss_mb: process.resourceUsage().maxRSS / 1024,
};
if (values.json) console.log(JSON.stringify(summary, null, 2));
else log(`peak RSS ${summary.peak_rss_mb.toFixed(0)} MB`);
await model.release();
