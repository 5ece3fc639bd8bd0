// Command-line text to image on the embedded default (the bundled pack, on this machine).
//   npm run generate -- --prompt "a red circle" --seed 7 --n 3 --out out/
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeImage } from '../adapters/files/image-encoder.ts';
import { loadDiffusionModel, DEFAULT_MODEL_DIR } from '../adapters/wire.ts';
import { GenerationInputError } from '../pipeline/diffusion/errors.ts';
import { TextToImage } from '../pipeline/diffusion/text-to-image.ts';
import type { SchedulerName } from '../pipeline/diffusion/schedulers/index.ts';

const USAGE = `usage: npm run generate -- --prompt "..." --out DIR [--negative "..."] [--seed 7] [--n 3]
       [--steps N] [--guidance G] [--scheduler ddim|euler|euler-a] [--width W] [--height H]
       [--model DIR] [--device auto|cpu|cuda|webgpu] [--threads T] [--format png|webp] [--json]`;

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) fail(`--${name} must be a number, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        prompt: { type: 'string' }, negative: { type: 'string', default: '' }, seed: { type: 'string' },
        n: { type: 'string', default: '1' }, steps: { type: 'string' }, guidance: { type: 'string' },
        scheduler: { type: 'string' }, width: { type: 'string' }, height: { type: 'string' },
        model: { type: 'string' }, device: { type: 'string', default: 'auto' }, threads: { type: 'string' },
        format: { type: 'string', default: 'png' }, out: { type: 'string' }, json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (v.prompt === undefined) fail('--prompt is required (it may be "" for an unconditional image)');
  if (!v.out) fail('--out DIR is required');
  if (v.format !== 'png' && v.format !== 'webp') fail(`--format must be png or webp, got "${v.format}"`);
  const n = number('n', v.n)!;
  if (!Number.isInteger(n) || n < 1) fail(`--n must be a positive integer, got "${v.n}"`);
  const seed = number('seed', v.seed) ?? Math.floor(Math.random() * 2 ** 31);
  const seeds = Array.from({ length: n }, (_, i) => seed + i);

  const model = await loadDiffusionModel({ modelDir: v.model ?? DEFAULT_MODEL_DIR, device: v.device, threads: number('threads', v.threads) });
  const pipeline = new TextToImage(model);
  const tty = process.stderr.isTTY && !v.json;
  const result = await pipeline.generate(
    {
      prompt: v.prompt, negativePrompt: v.negative, seeds,
      steps: number('steps', v.steps), guidance: number('guidance', v.guidance),
      width: number('width', v.width), height: number('height', v.height),
      scheduler: v.scheduler as SchedulerName | undefined,
    },
    {
      onProgress: tty
        ? ({ step, total }) => {
            const filled = Math.round((step / total) * 30);
            process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] step ${step}/${total}`);
            if (step === total) process.stderr.write('\n');
          }
        : undefined,
    },
  );
  for (const t of result.truncated) {
    process.stderr.write(`warning: ${t.field} needs ${t.tokens} tokens; the text encoder takes ${t.budget}, the rest was cut\n`);
  }
  mkdirSync(v.out, { recursive: true });
  const { steps, guidance, width, height, scheduler } = result.params;
  for (const image of result.images) {
    const meta = {
      prompt: v.prompt, negativePrompt: v.negative, steps, sampler: scheduler, guidance, seed: image.seed,
      width, height, model: model.name,
    };
    const bytes = await encodeImage(image.pixels, width, height, meta, v.format);
    const id = createHash('sha256').update(JSON.stringify(meta)).digest('hex').slice(0, 8);
    const path = join(v.out, `${image.seed}-${id}.${v.format}`);
    writeFileSync(path, bytes);
    if (v.json) process.stdout.write(JSON.stringify({ path, ...meta, provider: model.provider }) + '\n');
    else process.stdout.write(path + '\n');
  }
  await model.release();
}

main().catch((err) => {
  if (err instanceof GenerationInputError || err?.name === 'ModelFolderError' || err?.name === 'DeviceError') {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
});
