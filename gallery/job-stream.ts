// GET /v1/jobs/:id/events as Server-Sent Events: the job's state now, then `queued` {position}
// (again whenever the position changes), `running`, `progress` {step, total}, and one final
// `done` {images}, `failed` {error} or `cancelled` {reason}, after which the stream ends.
// Subscribing before the snapshot means no event falls between the two.
import type { FastifyReply } from 'fastify';
import type { GenerationResult } from '../pipeline/generate-job.ts';
import type { ImageStore, JobEvent, JobInfo, JobQueue } from '../pipeline/ports.ts';
import type { JobEvents } from './job-events.ts';

export interface JobStreamDeps {
  readonly queue: Pick<JobQueue<unknown, GenerationResult>, 'get'>;
  readonly images: Pick<ImageStore, 'jobImages'>;
  readonly events: JobEvents;
}

const POLL_MS = 2000;
const HEARTBEAT_MS = 15_000;

export async function streamJob(reply: FastifyReply, job: JobInfo<unknown, GenerationResult>, deps: JobStreamDeps): Promise<void> {
  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let open = true;
  let position = -1;
  const send = (event: string, data: object) => {
    if (open) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const end = () => {
    if (!open) return;
    open = false;
    stop();
    clearInterval(poll);
    clearInterval(heartbeat);
    raw.end();
  };
  const queued = (p: number | undefined) => {
    if (p !== undefined && p !== position) send('queued', { position: (position = p) });
  };
  const onEvent = (e: JobEvent<GenerationResult>) => {
    if (e.type === 'active') send('running', {});
    else if (e.type === 'progress') send('progress', { step: e.progress.step, total: e.progress.total });
    else if (e.type === 'completed') (send('done', { images: e.result.imageIds.map((id) => ({ id })) }), end());
    else if (e.type === 'failed') (send('failed', { error: e.error }), end());
    else if (e.type === 'cancelled') (send('cancelled', { reason: e.reason }), end());
  };
  const stop = deps.events.watch(job.id, onEvent);
  raw.on('close', end);
  // The position moves as other jobs start; no event says so, so it is polled while queued.
  const poll = setInterval(async () => {
    const now = await deps.queue.get(job.id).catch(() => undefined);
    if (now?.state === 'queued') queued(now.position);
  }, POLL_MS);
  const heartbeat = setInterval(() => open && raw.write(': keep-alive\n\n'), HEARTBEAT_MS);

  const now = (await deps.queue.get(job.id)) ?? job;
  if (now.state === 'queued') queued(now.position ?? 0);
  else if (now.state === 'running') {
    send('running', {});
    if (now.progress) send('progress', { step: now.progress.step, total: now.progress.total });
  } else if (now.state === 'completed') {
    const images = await deps.images.jobImages(job.userId, job.id);
    send('done', { images: images.map((im) => ({ id: im.id })) });
    end();
  } else if (now.state === 'failed') (send('failed', { error: now.error ?? 'failed' }), end());
  else (send('cancelled', { reason: now.error ?? 'cancelled' }), end());
}
