// How a BullMQ job reads through the JobQueue port: BullMQ's states folded into ours, a
// cancellation told apart from a failure by its reason's prefix, expired jobs hidden.
import type { Job } from 'bullmq';
import type { JobInfo, JobProgress, JobState } from '../../pipeline/ports.ts';
import type { JobSpec } from './bullmq-admission.ts';
import { CANCELLED_PREFIX } from './settings.ts';

/** What BullMQ stores as job data. */
export interface Envelope {
  readonly userId: string;
  readonly data: unknown;
  /** The job's own priority; BullMQ's is the effective one (fair-order.ts). */
  readonly priority: number;
  readonly enqueuedAt: number;
}

export function specOf(job: Job<Envelope>): JobSpec {
  return { id: job.id!, userId: job.data.userId, data: job.data.data, priority: job.data.priority, enqueuedAt: job.data.enqueuedAt };
}

export function infoFromSpec<D, R>(s: JobSpec): JobInfo<D, R> {
  return { id: s.id, userId: s.userId, data: s.data as D, priority: s.priority, state: 'queued', attempts: 0, enqueuedAt: s.enqueuedAt };
}

/**
 * undefined once the job is past its retention (BullMQ evicts lazily). `reload` reads the job
 * again: a snapshot taken just before the job finished has no finishedOn and no reason yet,
 * while its state, read after, is finished (it would read as expired, and a cancelled job lose
 * its attempts and reason).
 */
export async function jobInfo<D, R>(job: Job<Envelope, R>, retentionMs: number, position: (id: string) => Promise<number>, reload?: () => Promise<Job<Envelope, R> | undefined>): Promise<JobInfo<D, R> | undefined> {
  const raw = await job.getState();
  if (raw === 'unknown') return undefined;
  const failure = job.failedReason ?? '';
  const cancelled = failure.startsWith(CANCELLED_PREFIX);
  const state: JobState =
    raw === 'active' ? 'running' : raw === 'completed' ? 'completed' : raw === 'failed' ? (cancelled ? 'cancelled' : 'failed') : 'queued';
  const finished = state === 'completed' || state === 'failed' || state === 'cancelled';
  if (finished && job.finishedOn === undefined && reload) {
    const again = await reload();
    return again && jobInfo<D, R>(again, retentionMs, position);
  }
  if (finished && Date.now() - (job.finishedOn ?? 0) >= retentionMs) return undefined;
  const progress = job.progress as Partial<JobProgress> | number;
  return {
    ...infoFromSpec<D, R>(specOf(job)),
    state,
    attempts: job.attemptsStarted,
    ...(state === 'queued' && { position: await position(job.id!) }),
    ...(typeof progress === 'object' && progress.step !== undefined && { progress: progress as JobProgress }),
    ...(state === 'completed' && { result: job.returnvalue }),
    // While a retry waits out its backoff, the last failure says why.
    ...(failure && state !== 'completed' && { error: cancelled ? failure.slice(CANCELLED_PREFIX.length) : failure }),
    ...(job.processedOn !== undefined && { startedAt: job.processedOn }),
    ...(finished && job.finishedOn !== undefined && { finishedAt: job.finishedOn }),
  };
}
