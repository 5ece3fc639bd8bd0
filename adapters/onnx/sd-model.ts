// A Stable-Diffusion-layout ONNX folder (diffusers / Optimum exports, and the bundled
// pack) as a DiffusionModel. Input names, element types and shapes come from each
// session's metadata, so SD 1.5, SD-Turbo and the pack load through the same code.
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DiffusionModel, FloatTensor, ModelDefaults, TokenizedText } from '../../pipeline/diffusion/model.ts';
import type { SchedulerConfig } from '../../pipeline/diffusion/schedulers/scheduler.ts';
import { ModelFolderError } from './model-errors.ts';
import { SessionFactory, type SessionOptions } from './providers.ts';
import { readJson } from './read-json.ts';
import { fixedDim, inputSpec, outputSpec, type IoSpec } from './session-io.ts';
import { floatTensor, integerTensor, readFloats, type FloatType } from './tensor-types.ts';
import { PromptTokenizer } from './tokenizer.ts';

const REQUIRED = ['model_index.json', 'scheduler/scheduler_config.json', 'text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx'];

/** diffusers' AutoencoderKL default, used only when an export ships no VAE config. */
const DIFFUSERS_DEFAULT_SCALING = 0.18215;

interface VaeConfig {
  scaling_factor?: number;
  latent_channels?: number;
  block_out_channels?: number[];
}

interface PackConfig {
  name?: string;
  defaults?: Partial<ModelDefaults>;
}

const asFloat = (spec: IoSpec, folder: string, file: string): FloatType => {
  if (spec.type === 'float32' || spec.type === 'float16') return spec.type;
  throw new ModelFolderError(folder, file, `${spec.name} has element type ${spec.type}; expected float32 or float16`);
};

export interface LoadOptions extends SessionOptions {}

export class OnnxSdModel implements DiffusionModel {
  private constructor(
    readonly name: string,
    readonly folder: string,
    private readonly tokenizer: PromptTokenizer,
    private readonly sessions: { text: ort.InferenceSession; unet: ort.InferenceSession; vae: ort.InferenceSession },
    private readonly io: {
      ids: IoSpec; hidden: IoSpec; sample: IoSpec; timestep: IoSpec; context: IoSpec; out: IoSpec; latent: IoSpec; pixels: IoSpec;
    },
    readonly latentChannels: number,
    readonly latentFactor: number,
    readonly scalingFactor: number,
    readonly schedulerConfig: SchedulerConfig,
    readonly schedulerClass: string,
    readonly defaults: ModelDefaults,
    readonly provider: string,
  ) {}

  static async load(folderPath: string, options: LoadOptions): Promise<OnnxSdModel> {
    const folder = resolve(folderPath);
    if (!existsSync(folder)) throw new ModelFolderError(folder, '.', 'does not exist');
    for (const file of REQUIRED) {
      if (!existsSync(join(folder, file))) throw new ModelFolderError(folder, file, 'is missing');
    }
    readJson(folder, 'model_index.json', true);
    const scheduler = readJson<SchedulerConfig & { _class_name?: string }>(folder, 'scheduler/scheduler_config.json', true);
    const vae = readJson<VaeConfig>(folder, 'vae_decoder/config.json', false) ?? readJson<VaeConfig>(folder, 'vae/config.json', false);
    const pack = readJson<PackConfig>(folder, 'atelier.json', false) ?? {};
    if (vae?.scaling_factor !== undefined && !(vae.scaling_factor > 0)) {
      throw new ModelFolderError(folder, 'vae_decoder/config.json', `scaling_factor must be a positive number, got ${vae.scaling_factor}`);
    }

    const factory = new SessionFactory(options);
    const text = await factory.open(join(folder, 'text_encoder/model.onnx'));
    const unet = await factory.open(join(folder, 'unet/model.onnx'));
    const vaeSession = await factory.open(join(folder, 'vae_decoder/model.onnx'));
    const f = (file: string) => [folder, file] as const;
    const io = {
      ids: inputSpec(text, ['input_ids'], ...f('text_encoder/model.onnx')),
      hidden: outputSpec(text, ['last_hidden_state'], ...f('text_encoder/model.onnx')),
      sample: inputSpec(unet, ['sample'], ...f('unet/model.onnx')),
      timestep: inputSpec(unet, ['timestep'], ...f('unet/model.onnx')),
      context: inputSpec(unet, ['encoder_hidden_states'], ...f('unet/model.onnx')),
      out: outputSpec(unet, ['out_sample'], ...f('unet/model.onnx')),
      latent: inputSpec(vaeSession, ['latent_sample'], ...f('vae_decoder/model.onnx')),
      pixels: outputSpec(vaeSession, ['sample'], ...f('vae_decoder/model.onnx')),
    };
    if (io.ids.type !== 'int32' && io.ids.type !== 'int64') {
      throw new ModelFolderError(folder, 'text_encoder/model.onnx', `input_ids has type ${io.ids.type}; expected int32 or int64`);
    }
    if (!['int64', 'int32', 'float32', 'float16'].includes(io.timestep.type)) {
      throw new ModelFolderError(folder, 'unet/model.onnx', `timestep has type ${io.timestep.type}; expected int64, int32, float32 or float16`);
    }
    asFloat(io.sample, ...f('unet/model.onnx'));
    asFloat(io.latent, ...f('vae_decoder/model.onnx'));
    const maxTokens = fixedDim(io.ids, 1);
    const tokenizer = PromptTokenizer.fromFolder(join(folder, 'tokenizer'), maxTokens);
    const blocks = vae?.block_out_channels?.length;
    const defaults: ModelDefaults = {
      steps: 25, guidance: 7.5, scheduler: 'ddim', width: 512, height: 512, ...pack.defaults,
    };
    return new OnnxSdModel(
      pack.name ?? basename(folder),
      folder,
      tokenizer,
      { text, unet, vae: vaeSession },
      io,
      fixedDim(io.sample, 1) ?? vae?.latent_channels ?? 4,
      blocks ? 2 ** (blocks - 1) : 8,
      vae?.scaling_factor ?? DIFFUSERS_DEFAULT_SCALING,
      scheduler,
      scheduler._class_name ?? 'DDIMScheduler',
      defaults,
      factory.provider!,
    );
  }

  get maxTokens(): number {
    return this.tokenizer.maxLength;
  }

  tokenize(text: string): TokenizedText {
    return this.tokenizer.tokenize(text);
  }

  async encodeText(ids: readonly (readonly number[])[]): Promise<FloatTensor> {
    const flat = ids.flat();
    const feeds = { [this.io.ids.name]: integerTensor(this.io.ids.type as 'int32' | 'int64', flat, [ids.length, this.maxTokens]) };
    const out = await this.sessions.text.run(feeds, [this.io.hidden.name]);
    const hidden = out[this.io.hidden.name]!;
    return { data: readFloats(hidden), dims: hidden.dims };
  }

  async predict(sample: FloatTensor, timestep: number, context: FloatTensor): Promise<FloatTensor> {
    const batch = sample.dims[0]!;
    const feeds = {
      [this.io.sample.name]: floatTensor(this.io.sample.type as FloatType, sample.data, sample.dims),
      [this.io.timestep.name]: this.timestepTensor(timestep, batch),
      [this.io.context.name]: floatTensor(this.io.context.type as FloatType, context.data, context.dims),
    };
    const out = await this.sessions.unet.run(feeds, [this.io.out.name]);
    const pred = out[this.io.out.name]!;
    return { data: readFloats(pred), dims: pred.dims };
  }

  /** Timestep as the export wants it: int64 [B] (diffusers script), float scalar (Optimum), int64 [1] (SD-Turbo web). */
  private timestepTensor(t: number, batch: number): ort.Tensor {
    const shape = this.io.timestep.shape;
    const dims = shape.length === 0 ? [] : [fixedDim(this.io.timestep, 0) ?? batch];
    const count = dims.length === 0 ? 1 : dims[0]!;
    const values = new Array<number>(count).fill(t);
    switch (this.io.timestep.type) {
      case 'int64':
      case 'int32':
        return integerTensor(this.io.timestep.type, values.map(Math.round), dims);
      default:
        return floatTensor(this.io.timestep.type as FloatType, Float32Array.from(values), dims);
    }
  }

  async decode(latents: FloatTensor): Promise<FloatTensor> {
    const feeds = { [this.io.latent.name]: floatTensor(this.io.latent.type as FloatType, latents.data, latents.dims) };
    const out = await this.sessions.vae.run(feeds, [this.io.pixels.name]);
    const pixels = out[this.io.pixels.name]!;
    return { data: readFloats(pixels), dims: pixels.dims };
  }

  async release(): Promise<void> {
    await Promise.all(Object.values(this.sessions).map((s) => s.release()));
  }
}
