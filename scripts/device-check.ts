// Device check for a GPU machine (runs in a few minutes): lists the providers, runs the
// bundled model at n = 1, 8, 32 on each provider that opens, prints images/s, the UNet's
// share of job time and the GPU/CPU ratio, and exits non-zero when a provider that opens
// makes images that differ from the CPU's beyond the tolerance.
//   npx tsx scripts/device-check.ts [--model DIR] [--sizes 1,8,32] [--tolerance 8] [--json]
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { DEFAULT_MODEL_DIR, loadDiffusionModel } from '../adapters/wire.ts';
import { TextToImage } from '../pipeline/diffusion/text-to-image.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: DEFAULT_MODEL_DIR }, sizes: { type: 'string', default: '1,8,32' },
    tolerance: { type: 'string', default: '8' }, json: { type: 'boolean', default: false },
  },
});
const sizes = values.sizes!.split(',').map(Number);
/** Largest allowed difference of one 8-bit channel value between a GPU image and the CPU's. */
const tolerance = Number(values.tolerance);
const prompt = 'a red striped circle, on a teal background, lit from the left';
const out = (s: string) => values.json || console.log(s);

out(`onnxruntime-node backends: ${JSON.stringify(ort.listSupportedBackends())}`);
const results: Record<string, unknown>[] = [];
let reference: Uint8Array[] | undefined;
let failed = false;
for (const device of ['cpu', 'cuda', 'webgpu'] as const) {
  let model;
  try {
    model = await loadDiffusionModel({ modelDir: values.model, device, log: out });
  } catch (err) {
    out(`${device}: not available (${(err as Error).message.split('\n')[0]})`);
    results.push({ device, available: false, reason: (err as Error).message.split('\n')[0] });
    continue;
  }
  const t2i = new TextToImage(model);
  const seeds = (n: number) => Array.from({ length: n }, (_, i) => 100 + i);
  await t2i.generate({ prompt, seeds: seeds(1) });
  const rows = [];
  for (const n of sizes) {
    const timings: Record<string, number> = {};
    const start = performance.now();
    const r = await t2i.generate({ prompt, seeds: seeds(n) }, { timings });
    const total = performance.now() - start;
    rows.push({ n, ms: total, images_per_s: (n * 1000) / total, unet_share: (timings.denoise ?? 0) / total });
    if (n === sizes[sizes.length - 1]) {
      const images = r.images.map((i) => i.pixels);
      if (!reference) reference = images;
      else {
        let maxDiff = 0;
        images.forEach((img, i) => img.forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - reference![i]![k]!)))));
        const ok = maxDiff <= tolerance;
        failed ||= !ok;
        out(`${device}: largest channel difference from the CPU ${maxDiff} (tolerance ${tolerance}): ${ok ? 'ok' : 'MISMATCH'}`);
        rows[rows.length - 1] = { ...rows[rows.length - 1]!, max_diff_vs_cpu: maxDiff, matches_cpu: ok };
      }
    }
    out(`${device} (${model.provider}) n=${n}: ${total.toFixed(0)} ms, ${(n * 1000 / total).toFixed(1)} images/s, UNet share ${((timings.denoise ?? 0) / total * 100).toFixed(1)}%`);
  }
  results.push({ device, available: true, provider: model.provider, rows });
  await model.release();
}
const cpu = results.find((r) => r.device === 'cpu') as { rows: { n: number; images_per_s: number }[] } | undefined;
for (const r of results as { device: string; available: boolean; rows?: { n: number; images_per_s: number }[] }[]) {
  if (!r.available || r.device === 'cpu' || !cpu) continue;
  for (const row of r.rows!) {
    const base = cpu.rows.find((c) => c.n === row.n)!;
    out(`${r.device}/cpu at n=${row.n}: ${(row.images_per_s / base.images_per_s).toFixed(2)}x`);
  }
}
if (values.json) console.log(JSON.stringify({ model: values.model, tolerance, results }, null, 2));
process.exit(failed ? 1 : 0);
