// DDIM (Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models"), as diffusers'
// DDIMScheduler: deterministic at eta = 0, which is why it is the default for our own model.
import {
  alphasCumprod,
  resolveSchedulerConfig,
  spacedTimesteps,
  type ResolvedSchedulerConfig,
} from './betas.ts';
import type { NoiseSource, Scheduler, SchedulerConfig, SchedulerOutput } from './scheduler.ts';

export interface DDIMOptions {
  /** eta of DDIM eq. 16: 0 is the deterministic sampler, 1 matches DDPM's ancestral variance. */
  eta?: number;
}

export class DDIMScheduler implements Scheduler {
  readonly config: ResolvedSchedulerConfig;
  readonly eta: number;
  /** DDIM draws no noise at t = T, and latents are plain N(0, I). */
  readonly initNoiseSigma = 1;
  private readonly alphasCumprod: Float32Array;
  /** alpha_prod of the step after the last: 1 (clean) or alphas_cumprod[0], as SD 1.x was sampled. */
  private readonly finalAlphaCumprod: number;
  private numInferenceSteps = 0;
  private _timesteps: readonly number[] = [];

  constructor(config: SchedulerConfig = {}, options: DDIMOptions = {}) {
    this.config = resolveSchedulerConfig(config, {
      owner: 'DDIMScheduler',
      predictionTypes: ['epsilon', 'v_prediction', 'sample'],
      defaults: { timestep_spacing: 'leading', clip_sample: true, set_alpha_to_one: true },
      unsupported: ['rescale_betas_zero_snr', 'thresholding'],
    });
    const eta = options.eta ?? 0;
    if (!Number.isFinite(eta) || eta < 0) throw new Error(`DDIMScheduler: eta must be >= 0 (got ${eta})`);
    this.eta = eta;
    this.alphasCumprod = alphasCumprod(this.config);
    this.finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : this.alphasCumprod[0]!;
  }

  get timesteps(): readonly number[] {
    return this._timesteps;
  }

  setTimesteps(numInferenceSteps: number): void {
    this._timesteps = Object.freeze(spacedTimesteps(this.config, numInferenceSteps, 'rounded'));
    this.numInferenceSteps = numInferenceSteps;
  }

  /** DDIM's model takes the latent as is; returned unchanged (not copied), as in diffusers. */
  scaleModelInput(sample: Float32Array, _timestep: number): Float32Array {
    return sample;
  }

  /**
   * DDIM eq. 12, with sigma_t(eta) from eq. 16:
   *   x_{t-1} = sqrt(a_prev) * x0 + sqrt(1 - a_prev - sigma_t^2) * eps + sigma_t * z,
   *   x0 = (x_t - sqrt(1 - a_t) * eps) / sqrt(a_t),
   *   sigma_t = eta * sqrt((1 - a_prev) / (1 - a_t)) * sqrt(1 - a_t / a_prev),
   * where a is alphas_cumprod. For v_prediction (Salimans & Ho 2022, sec. 4):
   * x0 = sqrt(a_t) x_t - sqrt(1 - a_t) v and eps = sqrt(a_t) v + sqrt(1 - a_t) x_t.
   */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): SchedulerOutput {
    if (this.numInferenceSteps === 0) throw new Error('DDIMScheduler: call setTimesteps(n) before step()');
    const T = this.config.num_train_timesteps;
    if (!Number.isInteger(timestep) || timestep < 0 || timestep >= T) {
      throw new Error(`DDIMScheduler: timestep must be an integer in 0..${T - 1} (got ${timestep})`);
    }
    if (modelOutput.length !== sample.length) {
      throw new Error(`DDIMScheduler: modelOutput has ${modelOutput.length} values, sample ${sample.length}`);
    }
    // diffusers' rule, kept so a step can be checked against it: the previous timestep is
    // t - T // n, which is the next scheduled one for leading spacing and for trailing when n
    // divides T (but not always for linspace, where it lands between scheduled timesteps).
    const prevTimestep = timestep - Math.floor(T / this.numInferenceSteps);
    const alphaProdT = this.alphasCumprod[timestep]!;
    const alphaProdPrev = prevTimestep >= 0 ? this.alphasCumprod[prevTimestep]! : this.finalAlphaCumprod;
    const sqrtAlpha = Math.sqrt(alphaProdT);
    const sqrtBeta = Math.sqrt(1 - alphaProdT);
    const variance = ((1 - alphaProdPrev) / (1 - alphaProdT)) * (1 - alphaProdT / alphaProdPrev);
    const stdDev = this.eta * Math.sqrt(variance);
    const directionScale = Math.sqrt(1 - alphaProdPrev - stdDev * stdDev);
    const sqrtAlphaPrev = Math.sqrt(alphaProdPrev);
    const range = this.config.clip_sample_range;

    // Diffusers draws noise whenever eta > 0, even on a last step whose variance is 0.
    let z: Float32Array | undefined;
    if (this.eta > 0) {
      if (!noise) throw new Error('DDIMScheduler: eta > 0 needs a NoiseSource (one seeded source per image)');
      z = noise.randn(sample.length);
      if (z.length !== sample.length) throw new Error(`DDIMScheduler: noise has ${z.length} values, expected ${sample.length}`);
    }

    const prevSample = new Float32Array(sample.length);
    const predOriginalSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const out = modelOutput[i]!;
      let x0: number;
      let eps: number;
      switch (this.config.prediction_type) {
        case 'epsilon':
          x0 = (x - sqrtBeta * out) / sqrtAlpha;
          eps = out;
          break;
        case 'v_prediction':
          x0 = sqrtAlpha * x - sqrtBeta * out;
          eps = sqrtAlpha * out + sqrtBeta * x;
          break;
        case 'sample':
          x0 = out;
          eps = (x - sqrtAlpha * x0) / sqrtBeta;
          break;
      }
      // Like diffusers (use_clipped_model_output=false), eps is not re-derived from a clipped x0.
      if (this.config.clip_sample) x0 = Math.min(range, Math.max(-range, x0));
      let prev = sqrtAlphaPrev * x0 + directionScale * eps;
      if (z) prev += stdDev * z[i]!;
      predOriginalSample[i] = x0;
      prevSample[i] = prev;
    }
    return { prevSample, predOriginalSample };
  }
}
