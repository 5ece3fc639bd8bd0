// What both queue adapters share: the retry and retention settings, and the enqueue checks, so the
// in-process queue and BullMQ accept and refuse exactly the same input.
import { JobQueueInputError, type NewJob } from '../../pipeline/ports.ts';

export const PRIORITY_MIN = 1;
export const PRIORITY_DEFAULT = 100;
export const PRIORITY_MAX = 1000;
/** A bigger batch would hold the enqueueing request (and Redis) for too long in one go. */
export const MAX_BATCH = 1000;
/** Marks a BullMQ failure that was really a cancellation (its failedReason starts with it). */
export const CANCELLED_PREFIX = 'cancelled: ';

export interface QueueSettings {
  /** Tries in all for a transient failure, the first included. */
  readonly attempts: number;
  /** Retry k waits backoffMs * 2^(k-1): exponential, as BullMQ's 'exponential' backoff. */
  readonly backoffMs: number;
  /** Finished jobs (completed, failed, cancelled) are forgotten this long after they end. */
  readonly retentionMs: number;
  /**
   * Jobs per user admitted to the shared queue at once (fair-order.ts). It bounds how far a
   * later batch can get ahead of an earlier one, and should be at least the workers' total
   * concurrency for a lone user's short jobs to keep them all busy.
   */
  readonly admissionWindow: number;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = { attempts: 3, backoffMs: 1000, retentionMs: 24 * 3600_000, admissionWindow: 32 };

export function resolveSettings(partial: Partial<QueueSettings> = {}): QueueSettings {
  const s = { ...DEFAULT_QUEUE_SETTINGS, ...partial };
  const check = (field: keyof QueueSettings, min: number) => {
    if (!Number.isInteger(s[field]) || s[field] < min) throw new RangeError(`${field} must be an integer >= ${min}, got ${s[field]}`);
  };
  check('attempts', 1);
  check('backoffMs', 0);
  check('retentionMs', 1);
  check('admissionWindow', 1);
  if (s.admissionWindow > 1000) throw new RangeError(`admissionWindow must be at most 1000, got ${s.admissionWindow}`);
  return s;
}

export function retryDelay(settings: QueueSettings, attemptsMade: number): number {
  return settings.backoffMs * 2 ** (attemptsMade - 1);
}

/** Checks every job before any is enqueued, so a bad item leaves the queue untouched. */
export function checkNewJobs<D>(jobs: readonly NewJob<D>[]): void {
  if (!Array.isArray(jobs) || jobs.length < 1 || jobs.length > MAX_BATCH) {
    throw new JobQueueInputError('jobs', `an array of 1 to ${MAX_BATCH} jobs`, Array.isArray(jobs) ? jobs.length : jobs);
  }
  jobs.forEach((job, i) => {
    const at = jobs.length === 1 ? '' : `jobs[${i}].`;
    if (typeof job !== 'object' || job === null) throw new JobQueueInputError(`jobs[${i}]`, 'an object', job);
    if (typeof job.userId !== 'string' || !/^[\w-]{1,128}$/.test(job.userId)) {
      throw new JobQueueInputError(`${at}userId`, '1 to 128 letters, digits, _ or -', job.userId);
    }
    const p = job.priority;
    if (p !== undefined && (!Number.isInteger(p) || p < PRIORITY_MIN || p > PRIORITY_MAX)) {
      throw new JobQueueInputError(`${at}priority`, `an integer in ${PRIORITY_MIN}..${PRIORITY_MAX}`, p);
    }
    if (job.data === undefined) throw new JobQueueInputError(`${at}data`, 'any JSON value', job.data);
  });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
