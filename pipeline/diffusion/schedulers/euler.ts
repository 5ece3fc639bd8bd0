// Euler sampler of Karras et al. 2022 ("Elucidating the Design Space of Diffusion-Based
// Generative Models", Algorithm 2 without the second-order correction and with S_churn = 0),
// as diffusers' EulerDiscreteScheduler runs it on a discrete-time model: the model is called at
// a training timestep t and the sampler works in sigma(t) = sqrt((1 - abar_t) / abar_t).
// SD-Turbo samples with this scheduler (trailing spacing, 1-4 steps, guidance 0).
import {
  alphasCumprod,
  resolveSchedulerConfig,
  spacedTimesteps,
  type ConfigRules,
  type PredictionType,
  type ResolvedSchedulerConfig,
} from './betas.ts';
import type { NoiseSource, Scheduler, SchedulerConfig, SchedulerOutput } from './scheduler.ts';

export type EulerRules = Pick<ConfigRules, 'owner' | 'predictionTypes'>;

const EULER_RULES: EulerRules = {
  owner: 'EulerDiscreteScheduler',
  predictionTypes: ['epsilon', 'v_prediction', 'sample'],
};

/** numpy.interp on xp = 0..n-1: slope * (x - j) + fp[j], so integer x returns fp[x] exactly. */
function interpolate(table: Float64Array, x: number): number {
  const last = table.length - 1;
  if (x >= last) return table[last]!;
  if (x <= 0) return table[0]!;
  const j = Math.floor(x);
  return (table[j + 1]! - table[j]!) * (x - j) + table[j]!;
}

export class EulerDiscreteScheduler implements Scheduler {
  readonly config: ResolvedSchedulerConfig;
  protected readonly owner: string;
  /** sigma of every training timestep, used to interpolate fractional (linspace) timesteps. */
  private readonly trainSigmas: Float64Array;
  /** sigma per scheduled timestep plus a final 0; float32 like diffusers' so values agree to the bit. */
  protected sigmas: Float32Array;
  private _timesteps: readonly number[] = [];

  /** Subclasses pass their own rules (class name for errors, accepted prediction types). */
  constructor(config: SchedulerConfig = {}, rules: EulerRules = EULER_RULES) {
    this.owner = rules.owner;
    this.config = resolveSchedulerConfig(config, {
      ...rules,
      defaults: { timestep_spacing: 'linspace' },
      unsupported: ['rescale_betas_zero_snr', 'use_karras_sigmas'],
    });
    const abar = alphasCumprod(this.config);
    this.trainSigmas = Float64Array.from(abar, (a) => Math.sqrt((1 - a) / a));
    // Before setTimesteps diffusers' sigmas are the whole training schedule, so initNoiseSigma
    // already has its usual value.
    this.sigmas = Float32Array.from([...this.trainSigmas].reverse().concat(0));
  }

  get timesteps(): readonly number[] {
    return this._timesteps;
  }

  /**
   * Latents start at N(0, sigma_max^2). Leading spacing never reaches t = T - 1, and diffusers
   * uses sqrt(sigma_max^2 + 1) there, the std of x_t = x0 + sigma * eps for unit-variance x0.
   */
  get initNoiseSigma(): number {
    let max = 0;
    for (const s of this.sigmas) max = Math.max(max, s);
    return this.config.timestep_spacing === 'leading' ? Math.sqrt(max * max + 1) : max;
  }

  setTimesteps(numInferenceSteps: number): void {
    const timesteps = spacedTimesteps(this.config, numInferenceSteps, 'float32');
    const sigmas = new Float32Array(timesteps.length + 1);
    timesteps.forEach((t, i) => (sigmas[i] = interpolate(this.trainSigmas, t)));
    this.sigmas = sigmas;
    this._timesteps = Object.freeze(timesteps);
  }

  /** c_in = 1 / sqrt(sigma^2 + 1) (Karras et al. Table 1, sigma_data = 1): the model was trained on unit-variance x_t. */
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    const { sigma } = this.sigmasAt(timestep, 'scaleModelInput()');
    const scale = Math.sqrt(sigma * sigma + 1);
    return Float32Array.from(sample, (x) => x / scale);
  }

  /**
   * x_{i+1} = x_i + (sigma_{i+1} - sigma_i) * d_i with d_i = (x_i - D(x_i)) / sigma_i,
   * Algorithm 2 lines 5-8 of Karras et al. 2022 (Euler step, no Heun correction).
   */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, _noise?: NoiseSource): SchedulerOutput {
    const { sigma, sigmaNext } = this.sigmasAt(timestep, 'step()');
    this.checkLengths(modelOutput, sample);
    const prevSample = new Float32Array(sample.length);
    const predOriginalSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const x0 = this.denoise(modelOutput[i]!, x, sigma);
      predOriginalSample[i] = x0;
      prevSample[i] = x + ((x - x0) / sigma) * (sigmaNext - sigma);
    }
    return { prevSample, predOriginalSample };
  }

  /**
   * D(x) from the model output. For v_prediction, c_skip = 1 / (sigma^2 + 1) and
   * c_out = -sigma / sqrt(sigma^2 + 1) (k-diffusion's VDenoiser with sigma_data = 1).
   */
  protected denoise(modelOutput: number, sample: number, sigma: number): number {
    const type: PredictionType = this.config.prediction_type;
    switch (type) {
      case 'epsilon':
        return sample - sigma * modelOutput;
      case 'v_prediction':
        return modelOutput * (-sigma / Math.sqrt(sigma * sigma + 1)) + sample / (sigma * sigma + 1);
      case 'sample':
        return modelOutput;
    }
  }

  /** Looks a timestep up by value: stateless, so steps may be replayed or run per image in any order. */
  protected sigmasAt(timestep: number, caller: string): { sigma: number; sigmaNext: number } {
    if (this._timesteps.length === 0) throw new Error(`${this.owner}: call setTimesteps(n) before ${caller}`);
    const index = this._timesteps.indexOf(timestep);
    if (index < 0) {
      throw new Error(`${this.owner}: timestep ${timestep} is not in this schedule; pass a value from scheduler.timesteps`);
    }
    return { sigma: this.sigmas[index]!, sigmaNext: this.sigmas[index + 1]! };
  }

  protected checkLengths(modelOutput: Float32Array, sample: Float32Array): void {
    if (modelOutput.length !== sample.length) {
      throw new Error(`${this.owner}: modelOutput has ${modelOutput.length} values, sample ${sample.length}`);
    }
  }
}
