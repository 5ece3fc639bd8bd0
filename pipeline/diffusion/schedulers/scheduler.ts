// The contract every scheduler honours, with diffusers' names so anyone can check a step
// against the original. Schedulers are pure and synchronous and see one image at a time:
// the denoising loop calls step() per image so each image draws noise from its own generator.

/** A source of standard-normal noise; one per image, seeded from that image's seed. */
export interface NoiseSource {
  randn(length: number): Float32Array;
}

export interface SchedulerOutput {
  prevSample: Float32Array;
  predOriginalSample: Float32Array;
}

export interface Scheduler {
  /** Timesteps to visit, highest first; empty until setTimesteps is called. */
  readonly timesteps: readonly number[];
  /** The standard deviation of the initial noise. */
  readonly initNoiseSigma: number;
  setTimesteps(numInferenceSteps: number): void;
  /** Input scaling some schedulers need before the model call (identity for DDIM). */
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): SchedulerOutput;
}

/** scheduler_config.json, as diffusers writes it (only the fields we read). */
export interface SchedulerConfig {
  num_train_timesteps?: number;
  beta_start?: number;
  beta_end?: number;
  beta_schedule?: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
  trained_betas?: number[] | null;
  prediction_type?: 'epsilon' | 'v_prediction' | 'sample';
  timestep_spacing?: 'leading' | 'trailing' | 'linspace';
  steps_offset?: number;
  set_alpha_to_one?: boolean;
  clip_sample?: boolean;
  clip_sample_range?: number;
  // Options that change the math and that we do not implement: accepted when false or absent,
  // rejected when true, so a config asking for them fails loudly instead of sampling differently.
  rescale_betas_zero_snr?: boolean;
  thresholding?: boolean;
  use_karras_sigmas?: boolean;
}
