// Serves generation jobs from the queue in this process: the embedded server and `npm run worker`
// both run this. runGenerationJob does the work and records completion, bad input and
// cancellation in the store; here the job's end is also recorded when its last retry fails or the
// queue gives it up (its workers kept dying), and its webhook is sent (completed, or failed for
// good). A cancelled job's webhook is sent by the API node that cancelled it, so each job end is
// reported exactly once.
import { runGenerationJob, type GenerationDeps, type GenerationResult } from '../pipeline/generate-job.ts';
import { PermanentJobError, type JobWorker, type RunningJob } from '../pipeline/ports.ts';
import type { GenerationQueue, QueuedGeneration } from './services.ts';
import type { WebhookSender } from './webhooks/webhook-sender.ts';

export interface GenerationWorkerOptions {
  readonly concurrency: number;
  /** The queue's tries per job: the last failed one is final. */
  readonly attempts: number;
  readonly webhooks: WebhookSender;
  readonly log?: (line: string) => void;
}

/** The body of a job-end webhook (documented in the README). */
export function jobEndPayload(jobId: string, state: 'completed' | 'failed' | 'cancelled', detail: { imageIds?: readonly string[]; error?: string }): object {
  return {
    type: `job.${state}`,
    job_id: jobId,
    state,
    images: (detail.imageIds ?? []).map((id) => ({ id, url: `/v1/images/${id}` })),
    ...(detail.error !== undefined && { error: detail.error }),
    at: new Date().toISOString(),
  };
}

export function serveGenerations(queue: GenerationQueue, deps: GenerationDeps, options: GenerationWorkerOptions): JobWorker {
  const log = options.log ?? (() => {});
  const run = async (job: RunningJob<QueuedGeneration>, signal: AbortSignal): Promise<GenerationResult> => {
    const started = Date.now();
    log(`job ${job.id} started (attempt ${job.attempt})`);
    let result: GenerationResult;
    try {
      result = await runGenerationJob(job, deps, signal);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const final = !signal.aborted && (err instanceof PermanentJobError || job.attempt >= options.attempts);
      log(`job ${job.id} ${signal.aborted ? 'cancelled' : final ? 'failed' : 'failed, will retry'}: ${message}`);
      if (final) {
        // runGenerationJob records bad input itself; a transient failure's last try is recorded here.
        if (!(err instanceof PermanentJobError)) await deps.images.finishJob(job.id, 'failed', message).catch(() => {});
        if (job.data.webhook) options.webhooks.deliver(job.data.webhook, jobEndPayload(job.id, 'failed', { error: message }));
      }
      throw err;
    }
    log(`job ${job.id} completed in ${Date.now() - started} ms`);
    if (job.data.webhook) options.webhooks.deliver(job.data.webhook, jobEndPayload(job.id, 'completed', { imageIds: result.imageIds }));
    return result;
  };
  const lost = async (job: { id: string; data: QueuedGeneration }, error: string): Promise<void> => {
    log(`job ${job.id} failed: ${error}`);
    await deps.images.finishJob(job.id, 'failed', error).catch(() => {});
    if (job.data.webhook) options.webhooks.deliver(job.data.webhook, jobEndPayload(job.id, 'failed', { error }));
  };
  return queue.work(run, { concurrency: options.concurrency, onLost: lost });
}
