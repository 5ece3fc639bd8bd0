// The denoising loop: one batched model call per step for every image and every guidance
// branch, then each image's own scheduler step with its own noise. Runtime-independent.
import { GenerationCancelledError } from './errors.ts';
import type { DiffusionModel, FloatTensor } from './model.ts';
import type { NoiseSource, Scheduler } from './schedulers/scheduler.ts';

/** A conditioning branch: a context [B,L,D] and its weight in the guidance sum. */
export interface GuidanceBranch {
  readonly context: FloatTensor;
  readonly weight: number;
}

export interface StepProgress {
  readonly step: number;
  readonly total: number;
  readonly timestep: number;
}

export interface DenoiseInput {
  readonly model: Pick<DiffusionModel, 'predict'>;
  /** One scheduler per image, each already set to the same timesteps. */
  readonly schedulers: readonly Scheduler[];
  readonly noise: readonly NoiseSource[];
  /** Initial latents per image, [C*h*w] each. */
  readonly latents: Float32Array[];
  readonly latentDims: readonly [number, number, number];
  readonly cond: FloatTensor;
  /** Present when classifier-free guidance runs. */
  readonly uncond?: FloatTensor;
  /** Extra guidance terms (ViPer's liked/disliked attribute embeddings), each a direction from uncond. */
  readonly extra?: readonly GuidanceBranch[];
  readonly guidance: number;
  readonly onStep?: (p: StepProgress) => void;
  readonly signal?: AbortSignal;
}

function concat(tensors: readonly FloatTensor[]): FloatTensor {
  const rows = tensors.reduce((n, t) => n + t.dims[0]!, 0);
  const data = new Float32Array(tensors.reduce((n, t) => n + t.data.length, 0));
  let offset = 0;
  for (const t of tensors) {
    data.set(t.data, offset);
    offset += t.data.length;
  }
  return { data, dims: [rows, ...tensors[0]!.dims.slice(1)] };
}

/**
 * Guidance, with u, c and e_i the predictions for the unconditional, prompt and extra
 * branches and g the guidance scale:
 *   pred = u + g * ((c - u) + sum_i w_i * (e_i - u))
 * With liked (+b) and disliked (-b) terms this is ViPer's
 *   u + g * (c + b*e_liked - u - b*e_disliked).
 * Without uncond (guidance <= 1 and no extra terms, as diffusers does) pred = c.
 */
export async function denoise(input: DenoiseInput): Promise<Float32Array[]> {
  const { schedulers, latents, latentDims, guidance } = input;
  const images = latents.length;
  const per = latentDims[0] * latentDims[1] * latentDims[2];
  const extra = input.extra ?? [];
  const branches = input.uncond ? [input.uncond, input.cond, ...extra.map((e) => e.context)] : [input.cond];
  const context = concat(branches);
  const timesteps = schedulers[0]!.timesteps;
  let current = latents;
  for (let step = 0; step < timesteps.length; step++) {
    if (input.signal?.aborted) throw new GenerationCancelledError(step, input.signal.reason);
    const t = timesteps[step]!;
    const scaled = current.map((x, i) => schedulers[i]!.scaleModelInput(x, t));
    const batch = new Float32Array(per * images * branches.length);
    for (let b = 0; b < branches.length; b++) {
      for (let i = 0; i < images; i++) batch.set(scaled[i]!, (b * images + i) * per);
    }
    const pred = await input.model.predict({ data: batch, dims: [images * branches.length, ...latentDims] }, t, context);
    const branch = (b: number, i: number) => pred.data.subarray((b * images + i) * per, (b * images + i + 1) * per);
    current = current.map((x, i) => {
      let out: Float32Array;
      if (!input.uncond) {
        out = branch(0, i).slice();
      } else {
        const u = branch(0, i);
        const c = branch(1, i);
        const terms = extra.map((e, j) => ({ w: e.weight, p: branch(2 + j, i) }));
        out = new Float32Array(per);
        for (let k = 0; k < per; k++) {
          let direction = c[k]! - u[k]!;
          for (const term of terms) direction += term.w * (term.p[k]! - u[k]!);
          out[k] = u[k]! + guidance * direction;
        }
      }
      return schedulers[i]!.step(out, t, x, input.noise[i]).prevSample;
    });
    input.onStep?.({ step: step + 1, total: timesteps.length, timestep: t });
  }
  return current;
}
