// Text to image on any DiffusionModel, as a recipe: validate, encode the prompt, timesteps,
// latents, denoise, decode. Every image has its own seed, noise generator and scheduler.
import { denoise, type GuidanceBranch, type StepProgress } from './denoise.ts';
import { GenerationInputError } from './errors.ts';
import type { DiffusionModel, FloatTensor } from './model.ts';
import { SeededNoise } from './noise.ts';
import { createScheduler, SCHEDULER_NAMES, type SchedulerName } from './schedulers/index.ts';

/** Text, or embeddings [1, L, D] computed elsewhere (e.g. by a preference encoder). */
export type Conditioning = { readonly text: string } | { readonly embeds: FloatTensor };

export interface ExtraGuidance {
  readonly condition: Conditioning;
  /** Positive pulls toward the condition (liked attributes), negative pushes away (disliked). */
  readonly weight: number;
}

export interface TextToImageRequest {
  readonly prompt: string | FloatTensor;
  readonly negativePrompt?: string | FloatTensor;
  readonly seeds: readonly number[];
  readonly steps?: number;
  readonly guidance?: number;
  readonly width?: number;
  readonly height?: number;
  readonly scheduler?: SchedulerName;
  readonly extraGuidance?: readonly ExtraGuidance[];
}

export interface GenerateOptions {
  readonly onProgress?: (p: StepProgress) => void;
  readonly signal?: AbortSignal;
  /** Adds wall-clock milliseconds per stage (tokenize, text_encoder, denoise, vae). */
  readonly timings?: Record<string, number>;
}

export interface GeneratedImage {
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  /** 8-bit RGB, row-major. */
  readonly pixels: Uint8Array;
}

export interface TextToImageResult {
  readonly images: GeneratedImage[];
  /** The parameters actually used, defaults filled in. The scheduler is a SchedulerName locally; a remote backend may report "provider-default". */
  readonly params: { steps: number; guidance: number; width: number; height: number; scheduler: string };
  /** Prompts longer than the text encoder takes, with how many tokens they needed. */
  readonly truncated: { field: string; tokens: number; budget: number }[];
}

export const MAX_IMAGES = 64;

function check(ok: boolean, field: string, accepted: string, value: unknown): void {
  if (!ok) throw new GenerationInputError(field, accepted, value);
}

function toPixels(decoded: FloatTensor, index: number, width: number, height: number): Uint8Array {
  const plane = width * height;
  const base = index * 3 * plane;
  const out = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = (decoded.data[base + c * plane + p]! + 1) * 127.5;
      out[p * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return out;
}

function repeatRows(t: FloatTensor, rows: number): FloatTensor {
  const data = new Float32Array(t.data.length * rows);
  for (let r = 0; r < rows; r++) data.set(t.data, r * t.data.length);
  return { data, dims: [rows * t.dims[0]!, ...t.dims.slice(1)] };
}

/** The local backend: the denoising pipeline over a DiffusionModel (pipeline/ports.ts DiffusionBackend). */
export class TextToImage {
  readonly acceptsEmbeddings = true;

  constructor(readonly diffusion: DiffusionModel) {}

  get model(): string {
    return this.diffusion.name;
  }

  get provider(): string {
    return this.diffusion.provider;
  }

  get maxTokens(): number {
    return this.diffusion.maxTokens;
  }

  get defaults() {
    return this.diffusion.defaults;
  }

  countTokens(text: string): number {
    return this.diffusion.tokenize(text).tokenCount;
  }

  async generate(request: TextToImageRequest, options: GenerateOptions = {}): Promise<TextToImageResult> {
    const model = this.diffusion;
    const timings = options.timings;
    const time = async <T>(stage: string, fn: () => Promise<T> | T): Promise<T> => {
      const start = performance.now();
      try {
        return await fn();
      } finally {
        if (timings) timings[stage] = (timings[stage] ?? 0) + performance.now() - start;
      }
    };

    // 1. Defaults and input checks.
    const d = model.defaults;
    const steps = request.steps ?? d.steps;
    const guidance = request.guidance ?? d.guidance;
    const width = request.width ?? d.width;
    const height = request.height ?? d.height;
    const scheduler = request.scheduler ?? (d.scheduler as SchedulerName);
    const f = model.latentFactor;
    const seeds = request.seeds;
    check(Array.isArray(seeds) && seeds.length >= 1 && seeds.length <= MAX_IMAGES, 'n', `between 1 and ${MAX_IMAGES} images (one seed each)`, seeds?.length);
    for (const s of seeds) check(Number.isInteger(s) && s >= 0 && s <= 0xffffffff, 'seed', 'an integer in 0..4294967295', s);
    check(Number.isInteger(steps) && steps >= 1 && steps <= 1000, 'steps', 'an integer in 1..1000', steps);
    check(Number.isFinite(guidance) && guidance >= 0 && guidance <= 50, 'guidance', 'a number in 0..50', guidance);
    check(Number.isInteger(width) && width > 0 && width % f === 0 && width <= 4096, 'width', `a positive multiple of ${f} up to 4096`, width);
    check(Number.isInteger(height) && height > 0 && height % f === 0 && height <= 4096, 'height', `a positive multiple of ${f} up to 4096`, height);
    check((SCHEDULER_NAMES as readonly string[]).includes(scheduler), 'scheduler', `one of ${SCHEDULER_NAMES.join(', ')}`, scheduler);
    for (const e of request.extraGuidance ?? []) check(Number.isFinite(e.weight) && Math.abs(e.weight) <= 10, 'extraGuidance.weight', 'a number in -10..10', e.weight);

    // 2. Encode the prompt, the negative prompt and any extra guidance conditions.
    const truncated: TextToImageResult['truncated'] = [];
    const encode = async (field: string, c: string | FloatTensor): Promise<FloatTensor> => {
      if (typeof c !== 'string') {
        check(c.dims.length === 3 && c.dims[0] === 1 && c.dims[1] === model.maxTokens, field, `embeddings of shape [1, ${model.maxTokens}, D]`, c.dims);
        return c;
      }
      const tokens = await time('tokenize', () => model.tokenize(c));
      if (tokens.truncated) truncated.push({ field, tokens: tokens.tokenCount, budget: model.maxTokens });
      return time('text_encoder', () => model.encodeText([tokens.ids]));
    };
    const useCfg = guidance > 1 || (request.extraGuidance?.length ?? 0) > 0;
    const cond = await encode('prompt', request.prompt);
    const uncond = useCfg ? await encode('negative_prompt', request.negativePrompt ?? '') : undefined;
    const extra: GuidanceBranch[] = [];
    for (const [i, e] of (request.extraGuidance ?? []).entries()) {
      const c = 'text' in e.condition ? e.condition.text : e.condition.embeds;
      extra.push({ context: repeatRows(await encode(`extraGuidance[${i}]`, c), seeds.length), weight: e.weight });
    }

    // 3. Timesteps: one scheduler per image, so stateful schedulers never mix images.
    const schedulers = seeds.map(() => {
      const s = createScheduler(scheduler, model.schedulerConfig);
      s.setTimesteps(steps);
      return s;
    });

    // 4. Latents from each image's own seed.
    const latentDims = [model.latentChannels, height / f, width / f] as const;
    const per = latentDims[0] * latentDims[1] * latentDims[2];
    const noise = seeds.map((s) => new SeededNoise(s));
    const sigma = schedulers[0]!.initNoiseSigma;
    const latents = noise.map((n) => n.randn(per).map((v) => v * sigma));

    // 5. Denoise.
    const final = await time('denoise', () =>
      denoise({
        model, schedulers, noise, latents, latentDims, guidance, extra,
        cond: repeatRows(cond, seeds.length),
        uncond: uncond && repeatRows(uncond, seeds.length),
        onStep: options.onProgress,
        signal: options.signal,
      }),
    );

    // 6. Decode (latents are divided by the VAE's scaling factor first) and convert to 8-bit RGB.
    const batch = new Float32Array(per * seeds.length);
    final.forEach((x, i) => batch.set(x.map((v) => v / model.scalingFactor), i * per));
    const decoded = await time('vae', () => model.decode({ data: batch, dims: [seeds.length, ...latentDims] }));
    const images = seeds.map((seed, i) => ({ seed, width, height, pixels: toPixels(decoded, i, width, height) }));
    return { images, params: { steps, guidance, width, height, scheduler }, truncated };
  }
}
