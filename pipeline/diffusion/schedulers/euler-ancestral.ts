// Ancestral Euler (k-diffusion's sample_euler_ancestral, eta = 1), as diffusers'
// EulerAncestralDiscreteScheduler: each step goes down past sigma_next to sigma_down with the
// Euler step, then adds fresh noise of std sigma_up, so the marginal variance lands on sigma_next.
import { EulerDiscreteScheduler } from './euler.ts';
import type { NoiseSource, SchedulerConfig, SchedulerOutput } from './scheduler.ts';

export class EulerAncestralDiscreteScheduler extends EulerDiscreteScheduler {
  constructor(config: SchedulerConfig = {}) {
    // diffusers raises for prediction_type "sample" here, so we refuse it too.
    super(config, { owner: 'EulerAncestralDiscreteScheduler', predictionTypes: ['epsilon', 'v_prediction'] });
  }

  /**
   * sigma_up = sqrt(sigma_next^2 * (sigma^2 - sigma_next^2) / sigma^2),
   * sigma_down = sqrt(sigma_next^2 - sigma_up^2),
   * x_next = x + (sigma_down - sigma) * (x - D(x)) / sigma + sigma_up * z.
   * The noise is drawn on every step, the last (sigma_up = 0) included, as diffusers does, so
   * one image's generator advances the same way whatever the step count.
   */
  override step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): SchedulerOutput {
    const { sigma, sigmaNext } = this.sigmasAt(timestep, 'step()');
    this.checkLengths(modelOutput, sample);
    if (!noise) throw new Error(`${this.owner}: step() needs a NoiseSource (one seeded source per image)`);
    const sigmaUp = Math.sqrt((sigmaNext ** 2 * (sigma ** 2 - sigmaNext ** 2)) / sigma ** 2);
    // max(0, .) only absorbs rounding: analytically sigma_down^2 = sigma_next^4 / sigma^2 >= 0.
    const sigmaDown = Math.sqrt(Math.max(0, sigmaNext ** 2 - sigmaUp ** 2));
    const z = noise.randn(sample.length);
    if (z.length !== sample.length) throw new Error(`${this.owner}: noise has ${z.length} values, expected ${sample.length}`);

    const prevSample = new Float32Array(sample.length);
    const predOriginalSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const x0 = this.denoise(modelOutput[i]!, x, sigma);
      predOriginalSample[i] = x0;
      prevSample[i] = x + ((x - x0) / sigma) * (sigmaDown - sigma) + sigmaUp * z[i]!;
    }
    return { prevSample, predOriginalSample };
  }
}
