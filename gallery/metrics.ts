// Prometheus metrics, in a registry of this app's own (no global state: tests build many apps).
// Job metrics count the jobs this API node enqueued, so they add up across nodes: queue depth,
// jobs running, job latency (enqueue to end), images generated; ratings count this node's.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class AppMetrics {
  readonly registry = new Registry();
  readonly jobsEnqueued = new Counter({ name: 'atelier_jobs_enqueued_total', help: 'Generation jobs accepted, by route', labelNames: ['route'] as const, registers: [this.registry] });
  readonly jobsFinished = new Counter({ name: 'atelier_jobs_finished_total', help: 'Generation jobs ended, by final state', labelNames: ['state'] as const, registers: [this.registry] });
  readonly jobLatency = new Histogram({
    name: 'atelier_job_latency_seconds', help: 'From enqueue to the end of a job, by final state', labelNames: ['state'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900], registers: [this.registry],
  });
  readonly imagesGenerated = new Counter({ name: 'atelier_images_generated_total', help: 'Images kept by completed jobs', registers: [this.registry] });
  readonly ratings = new Counter({ name: 'atelier_ratings_total', help: 'Ratings and pairwise choices recorded', labelNames: ['kind'] as const, registers: [this.registry] });

  constructor(jobCounts: () => { queued: number; running: number }) {
    const registers = [this.registry];
    new Gauge({ name: 'atelier_queue_depth', help: 'Jobs enqueued here and waiting to start', registers, collect() { this.set(jobCounts().queued); } });
    new Gauge({ name: 'atelier_jobs_running', help: 'Jobs enqueued here and running', registers, collect() { this.set(jobCounts().running); } });
    collectDefaultMetrics({ register: this.registry, prefix: 'atelier_' });
  }
}
