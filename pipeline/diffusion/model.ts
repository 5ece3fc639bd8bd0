// The port a diffusion model implements for the denoising pipeline: text in, noise
// predictions, pixels out. The ONNX adapter implements it for Stable-Diffusion-layout
// folders; nothing here knows which runtime runs the networks.
import type { SchedulerConfig } from './schedulers/scheduler.ts';

/** A dense float tensor, row-major. */
export interface FloatTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export interface TokenizedText {
  readonly ids: number[];
  readonly tokenCount: number;
  readonly truncated: boolean;
}

/**
 * How a model takes personalization, when it differs from ViPer's defaults (b_pos = b_neg =
 * 0.85, dislikes also in the negative prompt). A model whose negative guidance damages what
 * the prompt asks for sets bNeg 0 and negativePrompt false: dislikes then act through the
 * rerank only.
 */
export interface PersonalizationDefaults {
  readonly bPos?: number;
  readonly bNeg?: number;
  readonly negativePrompt?: boolean;
}

export interface ModelDefaults {
  readonly personalization?: PersonalizationDefaults;
  readonly steps: number;
  readonly guidance: number;
  readonly scheduler: string;
  readonly width: number;
  readonly height: number;
}

export interface DiffusionModel {
  readonly name: string;
  readonly latentChannels: number;
  /** Pixels per latent cell along each side (8 for SD). */
  readonly latentFactor: number;
  readonly scalingFactor: number;
  /** The text encoder's sequence length (77 for SD). */
  readonly maxTokens: number;
  readonly schedulerConfig: SchedulerConfig;
  /** diffusers' scheduler class of the export, e.g. DDIMScheduler. */
  readonly schedulerClass: string;
  readonly defaults: ModelDefaults;
  /** Which execution provider runs the networks, once known. */
  readonly provider: string;

  tokenize(text: string): TokenizedText;
  /** ids [B, maxTokens] -> hidden states [B, maxTokens, D]. */
  encodeText(ids: readonly (readonly number[])[]): Promise<FloatTensor>;
  /** sample [B,C,h,w], one timestep for the batch, context [B,L,D] -> prediction [B,C,h,w]. */
  predict(sample: FloatTensor, timestep: number, context: FloatTensor): Promise<FloatTensor>;
  /** latents [B,C,h,w] (already divided by scalingFactor) -> pixels [B,3,H,W] in [-1, 1]. */
  decode(latents: FloatTensor): Promise<FloatTensor>;
  release(): Promise<void>;
}
