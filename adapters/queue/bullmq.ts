// The scale-out queue: BullMQ on Redis, shared by API and worker processes on several machines.
// BullMQ gives priority, retries with backoff, stalled-job recovery (a job whose worker dies is
// taken back once its lock expires) and per-job events across processes. On top of it:
// per-user fair admission (bullmq-admission.ts), and cancellation of a running job from any
// process: a flag in Redis plus a pub/sub message that aborts the job's AbortSignal wherever it runs.
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { Queue, QueueEvents, QueueEventsProducer, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import {
  PermanentJobError,
  type JobEvent, type JobInfo, type JobProcessor, type JobProgress, type JobQueue, type JobWorker, type NewJob, type WorkOptions,
} from '../../pipeline/ports.ts';
import { FairAdmission, type Admitted, type JobSpec } from './bullmq-admission.ts';
import { infoFromSpec, jobInfo, specOf, type Envelope } from './bullmq-job-info.ts';
import { effectivePriority, positionOf, type Queued } from './fair-order.ts';
import { CANCELLED_PREFIX, checkNewJobs, errorMessage, PRIORITY_DEFAULT, resolveSettings, type QueueSettings } from './settings.ts';

export interface BullmqQueueOptions extends Partial<QueueSettings> {
  /** REDIS_URL, e.g. redis://127.0.0.1:6379. */
  readonly url: string;
  readonly name?: string;
  readonly prefix?: string;
  /** A dead worker's job is taken back about this long after it died. */
  readonly lockDurationMs?: number;
  /** How often workers look for stalled jobs, and repair cut-short admissions. */
  readonly stalledIntervalMs?: number;
  /** Stalls a job survives before it fails (a job that kills its worker must not loop forever). */
  readonly maxStalledCount?: number;
  readonly onError?: (err: unknown) => void;
}

/** Left in Redis for a cancelled job: answers `get` once the job itself is gone, and stops a job about to start. */
interface CancelRecord extends JobSpec {
  readonly reason: string;
  readonly at: number;
}

const CANCELLED_EVENT = 'atelier-cancelled';
const PRIORITY_SCALE = 2 ** 32;

export class BullmqJobQueue<D, R> implements JobQueue<D, R> {
  private readonly settings: QueueSettings;
  private readonly base: string;
  private readonly queue: Queue<Envelope, R>;
  private readonly producer: QueueEventsProducer;
  private readonly admission: FairAdmission;
  private readonly listeners = new Set<(event: JobEvent<R>) => void>();
  private readonly workers = new Set<Worker<Envelope, R>>();
  private readonly pendingAdds: Admitted[] = [];
  private readonly onError: (err: unknown) => void;
  private events?: QueueEvents;
  private subscriber?: Promise<Redis>;
  private sweeper?: NodeJS.Timeout;

  static async open<D, R>(options: BullmqQueueOptions): Promise<BullmqJobQueue<D, R>> {
    const queue = new BullmqJobQueue<D, R>(new Redis(options.url, { maxRetriesPerRequest: null }), options);
    await queue.listen();
    return queue;
  }

  private constructor(
    private readonly redis: Redis,
    private readonly options: BullmqQueueOptions,
  ) {
    this.settings = resolveSettings(options);
    const name = options.name ?? 'generations';
    const prefix = options.prefix ?? 'atelier';
    this.base = `${prefix}:${name}`;
    this.onError = options.onError ?? ((err) => console.error('job queue:', err));
    this.queue = new Queue(name, { connection: redis, prefix });
    this.producer = new QueueEventsProducer(name, { connection: redis, prefix });
    this.admission = new FairAdmission(redis, this.base, this.settings.admissionWindow);
    this.queue.on('error', (err) => this.onError(err));
    this.producer.on('error', (err) => this.onError(err));
  }

  // Events are read from the stream's current end, not from "whenever the reader connects", so
  // none is missed between open() and the first job.
  private async listen(): Promise<void> {
    const last = await this.redis.xrevrange(this.queue.keys.events!, '+', '-', 'COUNT', 1);
    const events = new QueueEvents(this.queue.name, { connection: this.redis, prefix: this.queue.opts.prefix, lastEventId: last[0]?.[0] ?? '0' });
    this.events = events;
    const on = (event: string, handler: (args: Record<string, unknown>) => void) => (events as unknown as EventEmitter).on(event, handler);
    on('active', (a) => this.emit({ type: 'active', jobId: String(a.jobId) }));
    on('progress', (a) => this.emit({ type: 'progress', jobId: String(a.jobId), progress: a.data as JobProgress }));
    on('completed', (a) => this.emit({ type: 'completed', jobId: String(a.jobId), result: a.returnvalue as R }));
    on('failed', (a) => {
      const reason = String(a.failedReason);
      if (reason.startsWith(CANCELLED_PREFIX)) this.emit({ type: 'cancelled', jobId: String(a.jobId), reason: reason.slice(CANCELLED_PREFIX.length) });
      else this.emit({ type: 'failed', jobId: String(a.jobId), error: reason });
    });
    on(CANCELLED_EVENT, (a) => this.emit({ type: 'cancelled', jobId: String(a.jobId), reason: String(a.reason) }));
    on('error', (err) => this.onError(err));
    await events.waitUntilReady();
  }

  async enqueue(job: NewJob<D>): Promise<string> {
    return (await this.enqueueBatch([job]))[0]!;
  }

  async enqueueBatch(jobs: readonly NewJob<D>[]): Promise<string[]> {
    checkNewJobs(jobs);
    const enqueuedAt = Date.now();
    const specs = jobs.map((j): JobSpec => ({ id: randomUUID(), userId: j.userId, data: j.data, priority: j.priority ?? PRIORITY_DEFAULT, enqueuedAt }));
    const streaks = await this.admission.enqueue(specs);
    await this.add(specs.flatMap((spec, i) => (streaks[i]! >= 0 ? [{ spec, streak: streaks[i]! }] : [])));
    return specs.map((s) => s.id);
  }

  async get(id: string): Promise<JobInfo<D, R> | undefined> {
    // The spec is read first: it is deleted only once the job is in BullMQ, so no job slips between the reads.
    const spec = await this.admission.spec(id);
    const job = await this.queue.getJob(id);
    if (job) {
      const info = await jobInfo<D, R>(job, this.settings.retentionMs, (jobId) => this.position(jobId), () => this.queue.getJob(id));
      if (info) return info; // else removed (by a cancel) or expired since getJob: the record below tells
    } else if (spec) {
      return { ...infoFromSpec<D, R>(spec), state: 'queued', position: await this.position(id) };
    }
    const record = await this.redis.get(this.cancelledKey(id));
    if (!record) return undefined;
    const r = JSON.parse(record) as CancelRecord;
    return { ...infoFromSpec<D, R>(r), state: 'cancelled', error: r.reason, finishedAt: r.at };
  }

  async cancel(id: string, reason = 'cancelled by request'): Promise<boolean> {
    const record = (spec: JobSpec) => JSON.stringify({ ...spec, reason, at: Date.now() } satisfies CancelRecord);
    const spec = await this.admission.spec(id);
    if (spec && (await this.admission.drop(spec, this.cancelledKey(id), record(spec), this.settings.retentionMs))) {
      await this.publishCancelled(id, reason);
      return true;
    }
    const job = await this.queue.getJob(id);
    const state = job ? await job.getState() : undefined;
    if (state === 'completed' || state === 'failed' || state === 'unknown' || (!job && !spec)) return false;
    const owner = job ? specOf(job) : spec!;
    // The flag first: a worker that takes the job from here on refuses to run it.
    await this.redis.set(this.cancelledKey(id), record(owner), 'PX', this.settings.retentionMs);
    if (!job) return this.publishCancelled(id, reason); // admitted, not yet in BullMQ: the flag stops it
    if (state !== 'active') {
      try {
        await job.remove();
        await this.admitNext(owner.userId, id);
        return await this.publishCancelled(id, reason);
      } catch {
        // A worker took it between getState and remove: cancel it where it runs.
      }
    }
    await this.redis.publish(this.cancelChannel(), JSON.stringify({ id, reason }));
    return true;
  }

  subscribe(listener: (event: JobEvent<R>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  work(processor: JobProcessor<D, R>, options: WorkOptions<D> = {}): JobWorker {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    const lockDuration = this.options.lockDurationMs ?? 30_000;
    const stalledInterval = this.options.stalledIntervalMs ?? lockDuration;
    const cancels = this.listenForCancels();
    // Three parameters: BullMQ passes the AbortSignal only to processors that declare it.
    const worker = new Worker<Envelope, R>(this.queue.name, async (job, _token, signal) => {
      await cancels;
      return this.process(processor, job, signal ?? new AbortController().signal);
    }, {
      connection: this.redis, prefix: this.queue.opts.prefix, concurrency, lockDuration, stalledInterval,
      maxStalledCount: this.options.maxStalledCount ?? 2,
    });
    worker.on('error', (err) => this.onError(err));
    // A job that stalled past maxStalledCount is failed by the next worker to take it, before
    // (and instead of) the processor: only this event tells.
    worker.on('failed', (job) => {
      if (!job?.deferredFailure || !options.onLost) return;
      const { userId, data } = job.data;
      options.onLost({ id: job.id!, userId, data: data as D, attempt: job.attemptsStarted }, job.deferredFailure).catch(this.onError);
    });
    this.workers.add(worker);
    this.sweeper ??= setInterval(() => void this.sweep(lockDuration).catch(this.onError), stalledInterval).unref();
    return {
      close: async () => {
        await worker.close();
        this.workers.delete(worker);
      },
    };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.workers].map((w) => w.close()));
    await this.add(this.pendingAdds.splice(0));
    await this.events?.close();
    await this.producer.close();
    await this.queue.close();
    if (this.subscriber) await (await this.subscriber).quit();
    await this.redis.quit();
  }

  private async process(processor: JobProcessor<D, R>, job: Job<Envelope, R>, signal: AbortSignal): Promise<R> {
    const { userId, data } = job.data;
    const id = job.id!;
    const { admitted, flag } = await this.admission.leave(userId, id, this.cancelledKey(id));
    // The window refills at once; the job need not wait for it (a failed add is repaired by the sweep).
    for (const next of admitted) this.addSoon(next);
    if (flag) throw new UnrecoverableError(CANCELLED_PREFIX + (JSON.parse(flag) as CancelRecord).reason);
    const running = {
      id, userId, data: data as D, attempt: job.attemptsStarted,
      // Dropped once cancelled: the job is about to stop, and BullMQ refuses updates to a finished job.
      reportProgress: (p: JobProgress) => {
        if (!signal.aborted) void job.updateProgress({ step: p.step, total: p.total }).catch(this.onError);
      },
    };
    try {
      return await processor(running, signal);
    } catch (err) {
      if (signal.aborted) throw new UnrecoverableError(CANCELLED_PREFIX + String(signal.reason));
      if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
      throw err instanceof Error ? err : new Error(errorMessage(err));
    }
  }

  private async admitNext(userId: string, id: string): Promise<void> {
    await this.add((await this.admission.leave(userId, id, this.cancelledKey(id))).admitted);
  }

  // Jobs admitted by starts in the same tick go to BullMQ in one addBulk: one call per job was
  // the largest cost of fairness at high concurrency.
  private addSoon(admitted: Admitted): void {
    this.pendingAdds.push(admitted);
    if (this.pendingAdds.length > 1) return;
    setImmediate(() => {
      this.add(this.pendingAdds.splice(0)).catch(this.onError);
    });
  }

  private async add(admitted: readonly Admitted[]): Promise<void> {
    if (admitted.length === 0) return;
    const age = Math.ceil(this.settings.retentionMs / 1000);
    const window = this.settings.admissionWindow;
    await this.queue.addBulk(admitted.map(({ spec: s, streak }) => ({
      name: 'job',
      data: { userId: s.userId, data: s.data, priority: s.priority, enqueuedAt: s.enqueuedAt },
      opts: {
        jobId: s.id, priority: effectivePriority(s.priority, streak, window), attempts: this.settings.attempts,
        backoff: { type: 'exponential', delay: this.settings.backoffMs },
        removeOnComplete: { age }, removeOnFail: { age },
      },
    })));
  }

  // One subscriber connection per process with workers; the promise is awaited before any job runs.
  private listenForCancels(): Promise<Redis> {
    this.subscriber ??= (async () => {
      const sub = this.redis.duplicate();
      sub.on('message', (_channel: string, message: string) => {
        const { id, reason } = JSON.parse(message) as { id: string; reason: string };
        for (const worker of this.workers) worker.cancelJob(id, reason);
      });
      await sub.subscribe(this.cancelChannel());
      return sub;
    })();
    return this.subscriber;
  }

  // Repairs admissions cut short by a crash (admitted, never added), and enforces retention:
  // BullMQ only evicts old jobs when another one finishes.
  private async sweep(lockDuration: number): Promise<void> {
    const stale = await this.admission.staleAdmissions(lockDuration);
    if (stale.length > 0) {
      // Most are simply still waiting in BullMQ: one pipelined EXISTS per job (its hash) tells.
      const pipeline = this.redis.pipeline();
      for (const a of stale) pipeline.exists(`${this.base}:${a.spec.id}`);
      const found = (await pipeline.exec()) ?? [];
      await this.add(stale.filter((_, i) => found[i]?.[1] === 0));
    }
    await this.queue.clean(this.settings.retentionMs, 1000, 'completed');
    await this.queue.clean(this.settings.retentionMs, 1000, 'failed');
  }

  private async publishCancelled(id: string, reason: string): Promise<true> {
    await this.producer.publishEvent({ eventName: CANCELLED_EVENT, jobId: id, reason }, 10_000);
    return true;
  }

  private async position(id: string): Promise<number> {
    const keys = this.queue.keys;
    const [wait, prioritized] = await Promise.all([
      this.redis.lrange(keys.wait!, 0, -1),
      this.redis.zrange(keys.prioritized!, '0', '-1', 'WITHSCORES'),
    ]);
    // BullMQ takes plain waiting jobs (from the list's tail) before prioritized ones.
    const ready: Queued[] = wait.reverse().map((jobId) => ({ id: jobId, priority: 0 }));
    for (let i = 0; i < prioritized.length; i += 2) ready.push({ id: prioritized[i]!, priority: Math.floor(Number(prioritized[i + 1]) / PRIORITY_SCALE) });
    return positionOf(await this.admission.snapshot(ready), id);
  }

  private cancelledKey(id: string): string {
    return `${this.base}:cancelled:${id}`;
  }

  private cancelChannel(): string {
    return `${this.base}:cancel`;
  }

  private emit(event: JobEvent<R>): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
