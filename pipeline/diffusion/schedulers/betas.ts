// The training noise schedule (betas, alphas_cumprod) and the inference timestep spacings, as
// diffusers computes them, plus the config checks every scheduler shares. One place, so DDIM and
// the Euler family can never disagree about which noise level a timestep stands for.
import type { SchedulerConfig } from './scheduler.ts';

export const BETA_SCHEDULES = ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const;
export const PREDICTION_TYPES = ['epsilon', 'v_prediction', 'sample'] as const;
export const TIMESTEP_SPACINGS = ['leading', 'trailing', 'linspace'] as const;
export type BetaSchedule = (typeof BETA_SCHEDULES)[number];
export type PredictionType = (typeof PREDICTION_TYPES)[number];
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

/** A SchedulerConfig with every field filled in (diffusers' defaults) and checked. */
export interface ResolvedSchedulerConfig {
  readonly num_train_timesteps: number;
  readonly beta_start: number;
  readonly beta_end: number;
  readonly beta_schedule: BetaSchedule;
  readonly trained_betas: readonly number[] | null;
  readonly prediction_type: PredictionType;
  readonly timestep_spacing: TimestepSpacing;
  readonly steps_offset: number;
  readonly set_alpha_to_one: boolean;
  readonly clip_sample: boolean;
  readonly clip_sample_range: number;
}

type UnsupportedOption = 'rescale_betas_zero_snr' | 'thresholding' | 'use_karras_sigmas';

/** What one scheduler class accepts; defaults differ per class in diffusers (DDIM: leading, clip). */
export interface ConfigRules {
  /** diffusers class name, so errors say which scheduler refused the config. */
  readonly owner: string;
  readonly predictionTypes: readonly PredictionType[];
  readonly defaults: Partial<ResolvedSchedulerConfig>;
  readonly unsupported: readonly UnsupportedOption[];
}

const BASE_DEFAULTS: ResolvedSchedulerConfig = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  prediction_type: 'epsilon',
  timestep_spacing: 'linspace',
  steps_offset: 0,
  set_alpha_to_one: true,
  clip_sample: false,
  clip_sample_range: 1,
};

function oneOf<T extends string>(owner: string, field: string, value: unknown, accepted: readonly T[]): T {
  if (typeof value === 'string' && (accepted as readonly string[]).includes(value)) return value as T;
  throw new Error(`${owner}: ${field} must be one of ${accepted.join(', ')} (got ${JSON.stringify(value)})`);
}

function integerAtLeast(owner: string, field: string, value: unknown, min: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  throw new Error(`${owner}: ${field} must be an integer >= ${min} (got ${JSON.stringify(value)})`);
}

function positive(owner: string, field: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  throw new Error(`${owner}: ${field} must be a positive number (got ${JSON.stringify(value)})`);
}

function flag(owner: string, field: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new Error(`${owner}: ${field} must be true or false (got ${JSON.stringify(value)})`);
}

/** Fills in defaults and rejects anything we would otherwise silently sample differently from diffusers. */
export function resolveSchedulerConfig(config: SchedulerConfig, rules: ConfigRules): ResolvedSchedulerConfig {
  const { owner } = rules;
  // JSON configs write null for "unset" (trained_betas: null), so null means default too.
  const pick = <K extends keyof ResolvedSchedulerConfig>(key: K): unknown =>
    (config as Record<string, unknown>)[key] ?? rules.defaults[key] ?? BASE_DEFAULTS[key];

  for (const option of rules.unsupported) {
    if (config[option] === true) throw new Error(`${owner}: ${option}=true is not supported`);
  }
  const numTrain = integerAtLeast(owner, 'num_train_timesteps', pick('num_train_timesteps'), 1);
  const trained = pick('trained_betas');
  if (trained !== null) {
    const ok = Array.isArray(trained) && trained.every((b) => typeof b === 'number' && b > 0 && b < 1);
    if (!ok || trained.length !== numTrain) {
      throw new Error(`${owner}: trained_betas must be ${numTrain} numbers in (0, 1), one per training timestep`);
    }
  }
  return {
    num_train_timesteps: numTrain,
    beta_start: positive(owner, 'beta_start', pick('beta_start')),
    beta_end: positive(owner, 'beta_end', pick('beta_end')),
    beta_schedule: oneOf(owner, 'beta_schedule', pick('beta_schedule'), BETA_SCHEDULES),
    trained_betas: trained as readonly number[] | null,
    prediction_type: oneOf(owner, 'prediction_type', pick('prediction_type'), rules.predictionTypes),
    timestep_spacing: oneOf(owner, 'timestep_spacing', pick('timestep_spacing'), TIMESTEP_SPACINGS),
    steps_offset: integerAtLeast(owner, 'steps_offset', pick('steps_offset'), 0),
    set_alpha_to_one: flag(owner, 'set_alpha_to_one', pick('set_alpha_to_one')),
    clip_sample: flag(owner, 'clip_sample', pick('clip_sample')),
    clip_sample_range: positive(owner, 'clip_sample_range', pick('clip_sample_range')),
  };
}

/** numpy.linspace's arithmetic (i * step + start, last value pinned to stop), so values match bit for bit. */
function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/** numpy.round rounds halves to even (linspace(0, 999, 7) holds 166.5, which numpy makes 166). */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const frac = x - floor;
  if (frac !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The glide cosine schedule (Nichol & Dhariwal 2021, eq. 17), discretised as diffusers'
 * betas_for_alpha_bar: beta_i = min(1 - abar((i+1)/T) / abar(i/T), 0.999), with
 * abar(t) = cos((t + 0.008) / 1.008 * pi / 2)^2. The cap keeps the last beta below 1.
 */
function cosineBetas(numTrain: number): Float64Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
  const betas = new Float64Array(numTrain);
  for (let i = 0; i < numTrain; i++) {
    betas[i] = Math.min(1 - alphaBar((i + 1) / numTrain) / alphaBar(i / numTrain), 0.999);
  }
  return betas;
}

/** Betas of the training schedule, in float64. */
export function betasFor(config: ResolvedSchedulerConfig): Float64Array {
  const T = config.num_train_timesteps;
  if (config.trained_betas) return Float64Array.from(config.trained_betas);
  switch (config.beta_schedule) {
    case 'linear':
      return linspace(config.beta_start, config.beta_end, T);
    case 'scaled_linear':
      // Latent diffusion's schedule: linear in sqrt(beta), then squared.
      return linspace(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), T).map((b) => b * b);
    case 'squaredcos_cap_v2':
      return cosineBetas(T);
  }
}

/**
 * alphas_cumprod[t] = prod_{s<=t} (1 - beta_s). The product runs in float64 (1000 float32
 * multiplications drift by ~1e-5) and is stored as float32, the dtype diffusers and our
 * training script (scripts/train/diffusion.py) index at sampling time.
 */
export function alphasCumprod(config: ResolvedSchedulerConfig): Float32Array {
  const betas = betasFor(config);
  const out = new Float32Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= 1 - betas[i]!;
    out[i] = product;
  }
  return out;
}

export function checkInferenceSteps(numInferenceSteps: number, config: ResolvedSchedulerConfig): void {
  const T = config.num_train_timesteps;
  if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1 || numInferenceSteps > T) {
    throw new Error(
      `numInferenceSteps must be an integer from 1 to num_train_timesteps (${T}), got ${numInferenceSteps}`,
    );
  }
}

/**
 * How linspace spacing treats fractional timesteps: DDIM indexes alphas_cumprod so it rounds
 * them; the Euler schedulers keep numpy's float32 values and interpolate sigmas between them.
 */
export type LinspaceTimesteps = 'rounded' | 'float32';

/**
 * Inference timesteps, highest first, following diffusers' set_timesteps (the spacings of
 * Table 2 in Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed"):
 *  - leading:  (0..n-1) * (T // n), reversed, + steps_offset (SD 1.x/2.x configs);
 *  - trailing: round(arange(T, 0, -T/n)) - 1, always starting at T - 1 (SD-Turbo);
 *  - linspace: linspace(0, T - 1, n), reversed.
 * Trailing uses numpy.arange's own arithmetic (start + i * (second - first)) because round()
 * meets exact halves there (n = 48 hits 937.5 - ulp): a different order rounds differently.
 */
export function spacedTimesteps(
  config: ResolvedSchedulerConfig,
  numInferenceSteps: number,
  linspaceAs: LinspaceTimesteps,
): number[] {
  checkInferenceSteps(numInferenceSteps, config);
  const T = config.num_train_timesteps;
  const n = numInferenceSteps;
  let timesteps: number[];
  switch (config.timestep_spacing) {
    case 'leading': {
      const stepRatio = Math.floor(T / n);
      timesteps = Array.from({ length: n }, (_, i) => (n - 1 - i) * stepRatio + config.steps_offset);
      break;
    }
    case 'trailing': {
      const first = T;
      const second = first + -(T / n);
      const delta = second - first;
      // numpy's ceil((stop - start) / step) length sometimes yields an n+1th value of ~1e-13,
      // which diffusers turns into timestep -1 (n = 61, 103, ...); we keep the n intended ones.
      timesteps = Array.from({ length: n }, (_, i) => {
        const value = i === 0 ? first : i === 1 ? second : first + i * delta;
        return roundHalfEven(value) - 1;
      });
      break;
    }
    case 'linspace': {
      const ramp = linspace(0, T - 1, n);
      const cast = linspaceAs === 'rounded' ? roundHalfEven : Math.fround;
      timesteps = Array.from(ramp, cast).reverse();
      break;
    }
  }
  const highest = timesteps[0]!;
  if (highest > T - 1) {
    throw new Error(
      `timestep_spacing "${config.timestep_spacing}" with steps_offset ${config.steps_offset} and ` +
        `${n} steps gives timestep ${highest}, past the last training timestep ${T - 1}`,
    );
  }
  return timesteps;
}
