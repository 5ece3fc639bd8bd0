// The embedded queue: one process, no Redis. Same policy as the BullMQ adapter, held in memory
// (fair-order.ts): a shared ready list fed by per-user admission windows, and per-user backlogs.
// Jobs do not survive a restart; that is what the BullMQ adapter is for.
import { randomUUID } from 'node:crypto';
import {
  PermanentJobError,
  type JobEvent, type JobInfo, type JobProcessor, type JobProgress, type JobQueue, type JobState, type JobWorker, type NewJob, type WorkOptions,
} from '../../pipeline/ports.ts';
import { effectivePriority, positionOf, type FairSnapshot, type Queued } from './fair-order.ts';
import { checkNewJobs, errorMessage, PRIORITY_DEFAULT, resolveSettings, retryDelay, type QueueSettings } from './settings.ts';

interface Entry<D, R> {
  readonly id: string;
  readonly userId: string;
  readonly data: D;
  readonly priority: number;
  readonly enqueuedAt: number;
  state: JobState;
  attempts: number;
  progress?: JobProgress;
  result?: R;
  error?: string;
  startedAt?: number;
  finishedAt?: number;
  controller?: AbortController;
  retryTimer?: NodeJS.Timeout;
}

interface Slot<D, R> {
  readonly processor: JobProcessor<D, R>;
  readonly concurrency: number;
  running: number;
  closed: boolean;
  readonly idle: Set<() => void>;
}

export class InProcessJobQueue<D, R> implements JobQueue<D, R> {
  private readonly settings: QueueSettings;
  private readonly jobs = new Map<string, Entry<D, R>>();
  /** Start order: effective priority, then order of admission. */
  private readonly ready: Queued[] = [];
  /** Admitted, not started: job id -> user; and how many each user has. */
  private readonly admitted = new Map<string, string>();
  private readonly admittedCount = new Map<string, number>();
  /** Admissions per user since they last had nothing waiting (their rank, fair-order.ts). */
  private readonly streaks = new Map<string, number>();
  private readonly backlogs = new Map<string, Entry<D, R>[]>();
  private readonly listeners = new Set<(event: JobEvent<R>) => void>();
  private readonly slots: Slot<D, R>[] = [];
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(settings: Partial<QueueSettings> = {}) {
    this.settings = resolveSettings(settings);
    // Expiry is also checked on read; the sweep only frees memory.
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.settings.retentionMs, 60_000)).unref();
  }

  async enqueue(job: NewJob<D>): Promise<string> {
    return (await this.enqueueBatch([job]))[0]!;
  }

  async enqueueBatch(jobs: readonly NewJob<D>[]): Promise<string[]> {
    if (this.closed) throw new Error('queue is closed');
    checkNewJobs(jobs);
    const ids = jobs.map((job) => {
      const entry: Entry<D, R> = {
        id: randomUUID(), userId: job.userId, data: job.data, priority: job.priority ?? PRIORITY_DEFAULT,
        enqueuedAt: Date.now(), state: 'queued', attempts: 0,
      };
      this.jobs.set(entry.id, entry);
      // Behind its user's backlog, if any, so a user's jobs keep their order.
      if (this.backlogs.has(entry.userId) || (this.admittedCount.get(entry.userId) ?? 0) >= this.settings.admissionWindow) this.addToBacklog(entry);
      else this.admit(entry);
      return entry.id;
    });
    this.pump();
    return ids;
  }

  async get(id: string): Promise<JobInfo<D, R> | undefined> {
    const e = this.live(id);
    if (!e) return undefined;
    const position = e.state === 'queued' ? positionOf(this.snapshot(), id) : undefined;
    return {
      id: e.id, userId: e.userId, data: e.data, priority: e.priority, state: e.state, attempts: e.attempts,
      enqueuedAt: e.enqueuedAt,
      ...(position !== undefined && { position }),
      ...(e.progress && { progress: e.progress }),
      ...(e.result !== undefined && { result: e.result }),
      ...(e.error !== undefined && { error: e.error }),
      ...(e.startedAt !== undefined && { startedAt: e.startedAt }),
      ...(e.finishedAt !== undefined && { finishedAt: e.finishedAt }),
    };
  }

  async cancel(id: string, reason = 'cancelled by request'): Promise<boolean> {
    const e = this.live(id);
    if (!e || (e.state !== 'queued' && e.state !== 'running')) return false;
    if (e.state === 'running') {
      // The processor sees the abort at its next step and run() records the cancellation.
      e.controller!.abort(reason);
      return true;
    }
    clearTimeout(e.retryTimer);
    this.leaveQueue(e);
    this.finish(e, 'cancelled', { error: reason });
    this.pump();
    return true;
  }

  subscribe(listener: (event: JobEvent<R>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Jobs here never outlive their process, so none is ever lost (`onLost` is never called). */
  work(processor: JobProcessor<D, R>, options: WorkOptions<D> = {}): JobWorker {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    const slot: Slot<D, R> = { processor, concurrency, running: 0, closed: false, idle: new Set() };
    this.slots.push(slot);
    this.pump();
    return {
      close: async () => {
        slot.closed = true;
        if (slot.running > 0) await new Promise<void>((resolve) => slot.idle.add(resolve));
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const e of this.jobs.values()) clearTimeout(e.retryTimer);
    await Promise.all(this.slots.map(async (slot) => {
      slot.closed = true;
      if (slot.running > 0) await new Promise<void>((resolve) => slot.idle.add(resolve));
    }));
  }

  private snapshot(): FairSnapshot {
    return { ready: this.ready, admitted: this.admitted, backlogs: this.backlogs, streaks: this.streaks, window: this.settings.admissionWindow };
  }

  /** The job, unless unknown or past its retention. */
  private live(id: string): Entry<D, R> | undefined {
    const e = this.jobs.get(id);
    if (e?.finishedAt !== undefined && Date.now() - e.finishedAt >= this.settings.retentionMs) {
      this.jobs.delete(id);
      return undefined;
    }
    return e;
  }

  private sweep(): void {
    for (const id of this.jobs.keys()) this.live(id);
  }

  private addToBacklog(e: Entry<D, R>): void {
    const backlog = this.backlogs.get(e.userId) ?? [];
    // After every job of the same or better priority: a user's own jobs keep arrival order.
    const at = backlog.findIndex((b) => b.priority > e.priority);
    backlog.splice(at < 0 ? backlog.length : at, 0, e);
    this.backlogs.set(e.userId, backlog);
  }

  private admit(e: Entry<D, R>): void {
    const streak = this.streaks.get(e.userId) ?? 0;
    this.streaks.set(e.userId, streak + 1);
    this.admittedCount.set(e.userId, (this.admittedCount.get(e.userId) ?? 0) + 1);
    this.admitted.set(e.id, e.userId);
    this.toReady(e, effectivePriority(e.priority, streak, this.settings.admissionWindow));
  }

  private toReady(e: Entry<D, R>, priority: number): void {
    const at = this.ready.findIndex((r) => r.priority > priority);
    this.ready.splice(at < 0 ? this.ready.length : at, 0, { id: e.id, priority });
  }

  /** Takes a job out of the ready list or its backlog; if it was admitted, refills its user's window. */
  private leaveQueue(e: Entry<D, R>): void {
    const r = this.ready.findIndex((item) => item.id === e.id);
    if (r >= 0) this.ready.splice(r, 1);
    const backlog = this.backlogs.get(e.userId);
    const b = backlog?.indexOf(e) ?? -1;
    if (b >= 0) backlog!.splice(b, 1);
    if (this.admitted.delete(e.id)) {
      const left = this.admittedCount.get(e.userId)! - 1;
      if (left > 0) this.admittedCount.set(e.userId, left);
      else this.admittedCount.delete(e.userId);
      while (backlog?.length && (this.admittedCount.get(e.userId) ?? 0) < this.settings.admissionWindow) this.admit(backlog.shift()!);
      if (!this.admittedCount.has(e.userId)) this.streaks.delete(e.userId);
    }
    if (backlog?.length === 0) this.backlogs.delete(e.userId);
  }

  private pump(): void {
    for (const slot of this.slots) {
      while (!this.closed && !slot.closed && slot.running < slot.concurrency && this.ready.length > 0) {
        const e = this.jobs.get(this.ready[0]!.id)!;
        this.leaveQueue(e);
        void this.run(e, slot);
      }
    }
  }

  private async run(e: Entry<D, R>, slot: Slot<D, R>): Promise<void> {
    slot.running++;
    const controller = new AbortController();
    Object.assign(e, { state: 'running', controller, startedAt: e.startedAt ?? Date.now() });
    e.attempts++;
    this.emit({ type: 'active', jobId: e.id });
    const job = {
      id: e.id, userId: e.userId, data: e.data, attempt: e.attempts,
      reportProgress: (progress: JobProgress) => {
        if (e.state !== 'running') return;
        e.progress = { step: progress.step, total: progress.total };
        this.emit({ type: 'progress', jobId: e.id, progress: e.progress });
      },
    };
    try {
      const result = await slot.processor(job, controller.signal);
      this.finish(e, 'completed', { result });
    } catch (err) {
      if (controller.signal.aborted) this.finish(e, 'cancelled', { error: String(controller.signal.reason) });
      else if (err instanceof PermanentJobError || e.attempts >= this.settings.attempts) this.finish(e, 'failed', { error: errorMessage(err) });
      else this.retryLater(e, errorMessage(err));
    } finally {
      e.controller = undefined;
      slot.running--;
      if (slot.running === 0) for (const resolve of slot.idle) resolve();
      this.pump();
    }
  }

  private retryLater(e: Entry<D, R>, error: string): void {
    Object.assign(e, { state: 'queued', error });
    e.retryTimer = setTimeout(() => {
      e.retryTimer = undefined;
      if (e.state !== 'queued' || this.closed) return;
      // Back at the end of its priority class: a retry does not take a turn from its user.
      this.toReady(e, effectivePriority(e.priority, this.settings.admissionWindow, this.settings.admissionWindow));
      this.pump();
    }, retryDelay(this.settings, e.attempts));
  }

  private finish(e: Entry<D, R>, state: 'completed' | 'failed' | 'cancelled', outcome: { result?: R; error?: string }): void {
    Object.assign(e, { state, finishedAt: Date.now(), result: outcome.result, error: outcome.error });
    if (state === 'completed') this.emit({ type: 'completed', jobId: e.id, result: outcome.result as R });
    else if (state === 'failed') this.emit({ type: 'failed', jobId: e.id, error: outcome.error! });
    else this.emit({ type: 'cancelled', jobId: e.id, reason: outcome.error! });
  }

  private emit(event: JobEvent<R>): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        // One broken listener (a closed SSE stream) must not stall the queue or starve the others.
        console.error('job event listener failed:', err);
      }
    }
  }
}
