// One subscription to the queue's events per app: it feeds the SSE streams (GET /v1/jobs/:id/events)
// and the job metrics. The queue reports every job (BullMQ: every node sees all of them); metrics
// count only the jobs enqueued through this node, so they add up across API nodes.
import type { GenerationResult } from '../pipeline/generate-job.ts';
import type { JobEvent, JobQueue } from '../pipeline/ports.ts';
import type { AppMetrics } from './metrics.ts';

type Listener = (event: JobEvent<GenerationResult>) => void;

/** Jobs whose end this node never hears of (a lost Redis stream) are dropped after this long. */
const FORGET_AFTER_MS = 24 * 3600_000;

export class JobEvents {
  private readonly own = new Map<string, { enqueuedAt: number; running: boolean }>();
  private readonly watchers = new Map<string, Set<Listener>>();
  private readonly unsubscribe: () => void;
  private readonly sweeper: NodeJS.Timeout;
  private metrics?: AppMetrics;

  constructor(queue: Pick<JobQueue<unknown, GenerationResult>, 'subscribe'>) {
    this.unsubscribe = queue.subscribe((event) => this.dispatch(event));
    this.sweeper = setInterval(() => {
      const cutoff = Date.now() - FORGET_AFTER_MS;
      for (const [id, job] of this.own) if (job.enqueuedAt < cutoff) this.own.delete(id);
    }, 60_000).unref();
  }

  attach(metrics: AppMetrics): void {
    this.metrics = metrics;
  }

  /** A job this node enqueued. */
  track(id: string, enqueuedAt = Date.now()): void {
    this.own.set(id, { enqueuedAt, running: false });
  }

  counts(): { queued: number; running: number } {
    let running = 0;
    for (const job of this.own.values()) if (job.running) running++;
    return { queued: this.own.size - running, running };
  }

  /** Events of one job from now on; returns the unsubscribe function. */
  watch(jobId: string, listener: Listener): () => void {
    let set = this.watchers.get(jobId);
    if (!set) this.watchers.set(jobId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.watchers.get(jobId) === set) this.watchers.delete(jobId);
    };
  }

  close(): void {
    clearInterval(this.sweeper);
    this.unsubscribe();
    this.watchers.clear();
  }

  private dispatch(event: JobEvent<GenerationResult>): void {
    for (const listener of [...(this.watchers.get(event.jobId) ?? [])]) listener(event);
    const job = this.own.get(event.jobId);
    if (!job) return;
    if (event.type === 'active') job.running = true;
    if (event.type !== 'completed' && event.type !== 'failed' && event.type !== 'cancelled') return;
    this.own.delete(event.jobId);
    const state = event.type;
    this.metrics?.jobsFinished.inc({ state });
    this.metrics?.jobLatency.observe({ state }, (Date.now() - job.enqueuedAt) / 1000);
    if (event.type === 'completed') this.metrics?.imagesGenerated.inc(event.result.imageIds.length);
  }
}
