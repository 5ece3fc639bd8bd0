// DiffusionBackend on a hosted model through @huggingface/inference's textToImage: an Inference
// Provider (fal-ai, replicate, hf-inference, ...; "auto" asks the hub which one serves the model)
// or a dedicated endpoint (endpointUrl, spoken to in the hf-inference shape).
//
// Only text crosses the wire. Personalization reaches the model through the rewritten prompt
// and negative prompt; conditioning embeddings and extra guidance terms are dropped with a log
// line (the job's explanation already says so, pipeline/generate-job.ts), and a prompt that is
// itself an embedding is refused. Each image is its own request with its own seed, so the same
// seed gives the same image whatever the batch size (as far as the provider honours seeds). The
// library's provider helpers translate the parameters into each provider's own names; a
// provider may ignore some (size, steps), so the returned image is resized to the size asked.
import { getProviderHelper, PROVIDERS_OR_POLICIES, textToImage, type InferenceProviderOrPolicy } from '@huggingface/inference';
import sharp from 'sharp';
import { GenerationCancelledError, GenerationInputError } from '../../pipeline/diffusion/errors.ts';
import type { ModelDefaults } from '../../pipeline/diffusion/model.ts';
import { MAX_IMAGES, type GeneratedImage, type GenerateOptions, type TextToImageRequest, type TextToImageResult } from '../../pipeline/diffusion/text-to-image.ts';
import type { DiffusionBackend } from '../../pipeline/ports.ts';
import { HttpPolicy, type HttpPolicyOptions } from './http-policy.ts';

export interface RemoteTextToImageOptions extends HttpPolicyOptions {
  /** Hub model id (or any name with endpointUrl); stored with every image. */
  readonly model: string;
  /** An Inference Provider or "auto" (the default without endpointUrl); not with endpointUrl. */
  readonly provider?: string;
  /** A dedicated endpoint (Inference Endpoints, a TGI-style server); the provider is then implied. */
  readonly endpointUrl?: string;
  /** Counts prompts as the remote text encoder does: adapters/onnx PromptTokenizer on CLIP's BPE. */
  readonly tokenizer: { readonly maxLength: number; encode(text: string): number[] };
  readonly defaults?: Partial<ModelDefaults>;
  /** Requests in flight at once for one generate call. */
  readonly concurrency?: number;
}

/** SD-class defaults; the scheduler is whatever the provider runs. */
export const REMOTE_DEFAULTS: ModelDefaults = { steps: 30, guidance: 7.5, width: 512, height: 512, scheduler: 'provider-default' };

/** Our scheduler names as diffusers classes, sent only when a request names one. */
const DIFFUSERS_SCHEDULERS: Readonly<Record<string, string>> = { ddim: 'DDIMScheduler', euler: 'EulerDiscreteScheduler', 'euler-a': 'EulerAncestralDiscreteScheduler' };
const IMAGE_FORMATS = ['png', 'jpeg', 'webp'];

function check(ok: boolean, field: string, accepted: string, value: unknown): void {
  if (!ok) throw new GenerationInputError(field, accepted, value);
}

export class RemoteTextToImage implements DiffusionBackend {
  readonly acceptsEmbeddings = false;
  readonly model: string;
  readonly provider: string;
  readonly defaults: ModelDefaults;
  private readonly policy: HttpPolicy;

  constructor(private readonly options: RemoteTextToImageOptions) {
    const { model, provider, endpointUrl } = options;
    if (typeof model !== 'string' || !model.trim()) throw new TypeError('model: a hub model id or a name for the endpoint');
    if (endpointUrl !== undefined && !/^https?:\/\//.test(endpointUrl)) throw new TypeError('endpointUrl: an http(s) URL');
    if (endpointUrl !== undefined && provider !== undefined) throw new TypeError('provider and endpointUrl: one or the other (an endpoint implies its provider)');
    if (provider !== undefined && !(PROVIDERS_OR_POLICIES as readonly string[]).includes(provider)) {
      throw new TypeError(`provider: one of ${PROVIDERS_OR_POLICIES.join(', ')} (got ${JSON.stringify(provider)})`);
    }
    if (provider !== undefined && provider !== 'auto') getProviderHelper(provider as InferenceProviderOrPolicy, 'text-to-image'); // throws if it has no text-to-image
    const concurrency = options.concurrency ?? 1;
    if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 16)) throw new TypeError(`concurrency: an integer in 1..16 (got ${concurrency})`);
    this.model = model;
    this.provider = `remote:${endpointUrl ? 'endpoint' : (provider ?? 'auto')}`;
    this.defaults = { ...REMOTE_DEFAULTS, ...options.defaults };
    this.policy = new HttpPolicy({ ...options, timeoutMs: options.timeoutMs ?? 120_000 });
  }

  get maxTokens(): number {
    return this.options.tokenizer.maxLength;
  }

  countTokens(text: string): number {
    return this.options.tokenizer.encode(text).length;
  }

  async generate(request: TextToImageRequest, options: GenerateOptions = {}): Promise<TextToImageResult> {
    const o = this.options;
    const signal = options.signal;

    // 1. Defaults and input checks: what a provider would refuse after a paid round trip.
    const d = this.defaults;
    const steps = request.steps ?? d.steps;
    const guidance = request.guidance ?? d.guidance;
    const width = request.width ?? d.width;
    const height = request.height ?? d.height;
    const seeds = request.seeds;
    check(typeof request.prompt === 'string', 'prompt', 'text (a remote model takes no embeddings)', 'embeddings');
    check(Array.isArray(seeds) && seeds.length >= 1 && seeds.length <= MAX_IMAGES, 'n', `between 1 and ${MAX_IMAGES} images (one seed each)`, seeds?.length);
    for (const s of seeds) check(Number.isInteger(s) && s >= 0 && s <= 0xffffffff, 'seed', 'an integer in 0..4294967295', s);
    check(Number.isInteger(steps) && steps >= 1 && steps <= 1000, 'steps', 'an integer in 1..1000', steps);
    check(Number.isFinite(guidance) && guidance >= 0 && guidance <= 50, 'guidance', 'a number in 0..50', guidance);
    check(Number.isInteger(width) && width > 0 && width % 8 === 0 && width <= 4096, 'width', 'a positive multiple of 8 up to 4096', width);
    check(Number.isInteger(height) && height > 0 && height % 8 === 0 && height <= 4096, 'height', 'a positive multiple of 8 up to 4096', height);
    check(request.scheduler === undefined || request.scheduler in DIFFUSERS_SCHEDULERS, 'scheduler', `one of ${Object.keys(DIFFUSERS_SCHEDULERS).join(', ')}`, request.scheduler);

    // 2. Only text crosses the wire: say what is dropped, and what the remote encoder will cut.
    const prompt = request.prompt as string;
    const negative = typeof request.negativePrompt === 'string' ? request.negativePrompt : '';
    const dropped = [
      ...(request.negativePrompt !== undefined && typeof request.negativePrompt !== 'string' ? ['negative prompt embeddings'] : []),
      ...(request.extraGuidance?.length ? [`${request.extraGuidance.length} extra guidance term(s)`] : []),
    ];
    if (dropped.length) this.policy.log(`${this.model} (${this.provider}): ${dropped.join(' and ')} dropped; a remote model takes text only`);
    const truncated: TextToImageResult['truncated'] = [];
    for (const [field, text] of [['prompt', prompt], ['negative_prompt', negative]] as const) {
      const tokens = this.countTokens(text);
      if (tokens > this.maxTokens) truncated.push({ field, tokens, budget: this.maxTokens });
    }
    const parameters = {
      ...(negative && { negative_prompt: negative }),
      num_inference_steps: steps, guidance_scale: guidance, width, height,
      ...(request.scheduler && { scheduler: DIFFUSERS_SCHEDULERS[request.scheduler] }),
    };

    // 3. One request per seed, `concurrency` at a time; the first failure stops the others.
    const images: GeneratedImage[] = new Array(seeds.length);
    const stop = new AbortController();
    const callSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    const target = { task: 'text-to-image', url: o.endpointUrl ?? `provider ${o.provider ?? 'auto'}`, model: this.model };
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < seeds.length) {
        const index = next++;
        const seed = seeds[index]!;
        const start = performance.now();
        images[index] = await this.policy.run(target, async (attempt) => {
          const blob = await textToImage(
            {
              model: this.model, provider: o.provider as InferenceProviderOrPolicy | undefined, endpointUrl: o.endpointUrl,
              accessToken: o.accessToken, inputs: prompt, parameters: { ...parameters, seed },
            },
            { ...attempt, retry_on_error: false },
          );
          // 4. Decode and normalize: 8-bit sRGB, no alpha, exactly the size asked.
          return { seed, width, height, pixels: await this.toRgb(new Uint8Array(await blob.arrayBuffer()), width, height) };
        }, callSignal);
        if (options.timings) options.timings.remote = (options.timings.remote ?? 0) + performance.now() - start;
        options.onProgress?.({ step: ++done, total: seeds.length, timestep: 0 });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 1, seeds.length) }, worker));
    } catch (err) {
      stop.abort(err);
      if (signal?.aborted) throw new GenerationCancelledError(done, signal.reason);
      throw err;
    }
    return { images, params: { steps, guidance, width, height, scheduler: request.scheduler ?? d.scheduler }, truncated };
  }

  private async toRgb(bytes: Uint8Array, width: number, height: number): Promise<Uint8Array> {
    const image = sharp(bytes, { failOn: 'error' });
    const meta = await image.metadata();
    if (!IMAGE_FORMATS.includes(meta.format)) throw new Error(`expected a PNG, JPEG or WebP image, got ${meta.format}`);
    if (meta.width !== width || meta.height !== height) {
      this.policy.log(`${this.model} (${this.provider}) returned ${meta.width}x${meta.height} for ${width}x${height}; resized (cover)`);
    }
    const { data, info } = await image
      .flatten({ background: '#ffffff' })
      .resize(width, height, { fit: 'cover' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== width * height * 3) throw new Error(`decoded to ${info.channels} channels at ${info.width}x${info.height}, not RGB at ${width}x${height}`);
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  }
}
