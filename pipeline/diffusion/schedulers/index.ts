// Picks a scheduler by our short name, and maps the diffusers class a model ships with
// (scheduler_config.json's _class_name) to the one of ours that samples it best.
import { DDIMScheduler } from './ddim.ts';
import { EulerAncestralDiscreteScheduler } from './euler-ancestral.ts';
import { EulerDiscreteScheduler } from './euler.ts';
import type { Scheduler, SchedulerConfig } from './scheduler.ts';

export const SCHEDULER_NAMES = ['ddim', 'euler', 'euler-a'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

export interface SchedulerOptions {
  /** DDIM's eta; the Euler schedulers ignore it, as diffusers' pipelines do. */
  eta?: number;
}

export function createScheduler(name: SchedulerName, config: SchedulerConfig, options: SchedulerOptions = {}): Scheduler {
  switch (name) {
    case 'ddim':
      return new DDIMScheduler(config, options);
    case 'euler':
      return new EulerDiscreteScheduler(config);
    case 'euler-a':
      return new EulerAncestralDiscreteScheduler(config);
    default:
      // Names arrive from the CLI and prefs as plain strings, so the type alone does not guard this.
      throw new Error(`unknown scheduler ${JSON.stringify(name)}; known: ${SCHEDULER_NAMES.join(', ')}`);
  }
}

/**
 * diffusers _class_name -> our scheduler. The ones we do not implement fall back to the
 * closest relative that reads the same config: PNDM (PLMS) walks DDIM's alpha_bar timesteps,
 * DPM-Solver's first order is DDIM (Lu et al. 2022, sec. 4.1), and LMS steps in sigma like Euler.
 */
export const SCHEDULER_FOR_CLASS: ReadonlyMap<string, SchedulerName> = new Map<string, SchedulerName>([
  ['DDIMScheduler', 'ddim'],
  ['EulerDiscreteScheduler', 'euler'],
  ['EulerAncestralDiscreteScheduler', 'euler-a'],
  ['PNDMScheduler', 'ddim'],
  ['DPMSolverMultistepScheduler', 'ddim'],
  ['LMSDiscreteScheduler', 'euler'],
]);

/** Our scheduler for a model's diffusers scheduler class; DDIM when the class is unknown or missing. */
export function defaultSchedulerFor(className: string | undefined): SchedulerName {
  return (className !== undefined && SCHEDULER_FOR_CLASS.get(className)) || 'ddim';
}
