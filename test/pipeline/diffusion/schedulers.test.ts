// Checks the schedulers against test/fixtures/schedulers.json, which
// scripts/reference/schedulers.py computes independently with numpy from the published formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { alphasCumprod, resolveSchedulerConfig } from '../../../pipeline/diffusion/schedulers/betas.ts';
import {
  SCHEDULER_FOR_CLASS,
  SCHEDULER_NAMES,
  createScheduler,
  defaultSchedulerFor,
  type SchedulerName,
} from '../../../pipeline/diffusion/schedulers/index.ts';
import type { NoiseSource, SchedulerConfig } from '../../../pipeline/diffusion/schedulers/scheduler.ts';

interface Step {
  timestep: number;
  modelInput: number[];
  modelOutput: number[];
  prevSample: number[];
  predOriginalSample: number[];
}
interface Case {
  name: string;
  scheduler: SchedulerName;
  config: SchedulerConfig;
  steps: number;
  eta?: number;
  timesteps: number[];
  initNoiseSigma: number;
  initialNoise: number[];
  noise?: number[][];
  trajectory: Step[];
}
interface Fixture {
  cases: Case[];
  spacings: { scheduler: SchedulerName; config: SchedulerConfig; steps: number; timesteps: number[] }[];
  betas: { config: SchedulerConfig; alphasCumprod: Record<string, number> }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/schedulers.json', import.meta.url), 'utf8'),
) as Fixture;

// 1e-5 relative, with a floor for values that pass near zero (where relative error means nothing).
function assertClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const tolerance = 1e-5 * Math.max(Math.abs(e), 1e-2);
    assert.ok(Math.abs(a - e) <= tolerance, `${what}[${i}]: got ${a}, expected ${e}`);
  }
}

/** The fixture's fake denoiser; float32 out, like an ONNX model's. */
const fakeModel = (input: Float32Array, t: number): Float32Array =>
  Float32Array.from(input, (x) => 0.5 * x + 0.1 * Math.cos(t / 100));

/** Hands out the fixture's noise vectors in order, and counts what was drawn. */
class FixedNoise implements NoiseSource {
  drawn = 0;
  constructor(private readonly vectors: readonly number[][]) {}
  randn(length: number): Float32Array {
    const vector = this.vectors[this.drawn++];
    assert.ok(vector, 'scheduler drew more noise than the reference');
    assert.equal(vector.length, length);
    return Float32Array.from(vector);
  }
}

for (const c of fixture.cases) {
  test(`trajectory: ${c.name}`, () => {
    const scheduler = createScheduler(c.scheduler, c.config, { eta: c.eta ?? 0 });
    scheduler.setTimesteps(c.steps);
    assert.deepEqual(scheduler.timesteps, c.timesteps);
    assertClose([scheduler.initNoiseSigma], [c.initNoiseSigma], 'initNoiseSigma');

    const noise = c.noise ? new FixedNoise(c.noise) : undefined;
    let sample: Float32Array = Float32Array.from(c.initialNoise, (x) => x * scheduler.initNoiseSigma);
    c.trajectory.forEach((expected, k) => {
      const t = scheduler.timesteps[k]!;
      assert.equal(t, expected.timestep);
      const input = scheduler.scaleModelInput(sample, t);
      assertClose(input, expected.modelInput, `step ${k} modelInput`);
      const before = Float32Array.from(sample);
      const out = scheduler.step(fakeModel(input, t), t, sample, noise);
      assert.deepEqual(sample, before, 'step() must not modify its sample');
      assertClose(out.predOriginalSample, expected.predOriginalSample, `step ${k} predOriginalSample`);
      assertClose(out.prevSample, expected.prevSample, `step ${k} prevSample`);
      sample = out.prevSample;
    });
    assert.equal(noise?.drawn ?? 0, c.noise?.length ?? 0, 'one noise draw per step');
  });
}

test('timestep spacings match numpy bit for bit (leading, trailing, linspace)', () => {
  for (const row of fixture.spacings) {
    // leading and trailing are integers for every scheduler; linspace differs (DDIM rounds).
    const names: SchedulerName[] = row.config.timestep_spacing === 'linspace' ? [row.scheduler] : ['ddim', 'euler'];
    for (const name of names) {
      const scheduler = createScheduler(name, row.config);
      scheduler.setTimesteps(row.steps);
      assert.deepEqual(scheduler.timesteps, row.timesteps, `${name} ${JSON.stringify(row.config)} n=${row.steps}`);
    }
  }
});

test('alphas_cumprod for each beta schedule', () => {
  for (const row of fixture.betas) {
    const abar = alphasCumprod(
      resolveSchedulerConfig(row.config, { owner: 'test', predictionTypes: ['epsilon'], defaults: {}, unsupported: [] }),
    );
    for (const [index, expected] of Object.entries(row.alphasCumprod)) {
      assertClose([abar[Number(index)]!], [expected], `${JSON.stringify(row.config)} alphas_cumprod[${index}]`);
    }
  }
});

test('step() before setTimesteps() says to call setTimesteps', () => {
  const sample = new Float32Array(4);
  for (const name of SCHEDULER_NAMES) {
    const scheduler = createScheduler(name, {});
    assert.deepEqual(scheduler.timesteps, []);
    assert.throws(() => scheduler.step(sample, 999, sample, { randn: (n) => new Float32Array(n) }), {
      message: /call setTimesteps\(n\) before step\(\)/,
    });
  }
  assert.throws(() => createScheduler('euler', {}).scaleModelInput(sample, 999), /call setTimesteps\(n\) before/);
});

test('unknown scheduler name lists the known ones', () => {
  assert.throws(() => createScheduler('dpm++' as SchedulerName, {}), {
    message: /unknown scheduler "dpm\+\+"; known: ddim, euler, euler-a/,
  });
});

test('numInferenceSteps must be an integer in 1..num_train_timesteps', () => {
  for (const name of SCHEDULER_NAMES) {
    const scheduler = createScheduler(name, { num_train_timesteps: 1000 });
    for (const bad of [0, -1, 2.5, 1001, Number.NaN]) {
      assert.throws(() => scheduler.setTimesteps(bad), /numInferenceSteps must be an integer from 1 to num_train_timesteps \(1000\)/);
    }
    scheduler.setTimesteps(1000);
    assert.equal(scheduler.timesteps.length, 1000);
  }
  // leading + steps_offset can push the first timestep past the schedule; diffusers would index out of range.
  const ddim = createScheduler('ddim', { timestep_spacing: 'leading', steps_offset: 1 });
  assert.throws(() => ddim.setTimesteps(1000), /gives timestep 1000, past the last training timestep 999/);
});

test('schedulers that need noise refuse to step without it', () => {
  const sample = new Float32Array([0.1, -0.2]);
  const ancestral = createScheduler('euler-a', {});
  ancestral.setTimesteps(4);
  const t = ancestral.timesteps[0]!;
  assert.throws(() => ancestral.step(sample, t, sample), /needs a NoiseSource/);

  const ddim = createScheduler('ddim', {}, { eta: 1 });
  ddim.setTimesteps(4);
  assert.throws(() => ddim.step(sample, ddim.timesteps[0]!, sample), /eta > 0 needs a NoiseSource/);
  // eta = 0 is deterministic and needs none.
  const deterministic = createScheduler('ddim', {});
  deterministic.setTimesteps(4);
  assert.doesNotThrow(() => deterministic.step(sample, deterministic.timesteps[0]!, sample));
});

test('config errors name the field and the accepted values', () => {
  const cases: [SchedulerName, Record<string, unknown>, RegExp][] = [
    ['ddim', { beta_schedule: 'cosine' }, /beta_schedule must be one of linear, scaled_linear, squaredcos_cap_v2 \(got "cosine"\)/],
    ['euler', { prediction_type: 'x0' }, /prediction_type must be one of epsilon, v_prediction, sample \(got "x0"\)/],
    ['euler-a', { prediction_type: 'sample' }, /EulerAncestralDiscreteScheduler: prediction_type must be one of epsilon, v_prediction/],
    ['ddim', { timestep_spacing: 'uniform' }, /timestep_spacing must be one of leading, trailing, linspace \(got "uniform"\)/],
    ['ddim', { steps_offset: -1 }, /steps_offset must be an integer >= 0/],
    ['ddim', { num_train_timesteps: 10, trained_betas: [0.1, 0.2] }, /trained_betas must be 10 numbers/],
    ['ddim', { rescale_betas_zero_snr: true }, /rescale_betas_zero_snr=true is not supported/],
    ['euler', { use_karras_sigmas: true }, /use_karras_sigmas=true is not supported/],
  ];
  for (const [name, config, message] of cases) {
    assert.throws(() => createScheduler(name, config as SchedulerConfig), message);
  }
  assert.throws(() => createScheduler('ddim', {}, { eta: -0.5 }), /eta must be >= 0/);
});

test('Euler only steps at its own timesteps', () => {
  const euler = createScheduler('euler', { timestep_spacing: 'linspace' });
  euler.setTimesteps(7);
  const sample = new Float32Array(2);
  assert.throws(() => euler.step(sample, 832, sample), /timestep 832 is not in this schedule/);
});

test('diffusers class names map to our schedulers', () => {
  assert.equal(defaultSchedulerFor('DDIMScheduler'), 'ddim');
  assert.equal(defaultSchedulerFor('EulerDiscreteScheduler'), 'euler');
  assert.equal(defaultSchedulerFor('EulerAncestralDiscreteScheduler'), 'euler-a');
  assert.equal(defaultSchedulerFor('PNDMScheduler'), 'ddim');
  assert.equal(defaultSchedulerFor('DPMSolverMultistepScheduler'), 'ddim');
  assert.equal(defaultSchedulerFor('LMSDiscreteScheduler'), 'euler');
  assert.equal(defaultSchedulerFor('UniPCMultistepScheduler'), 'ddim');
  assert.equal(defaultSchedulerFor('constructor'), 'ddim');
  assert.equal(defaultSchedulerFor(undefined), 'ddim');
  for (const name of SCHEDULER_FOR_CLASS.values()) assert.ok(SCHEDULER_NAMES.includes(name));
});
