// GET /v1/jobs/:id, DELETE /v1/jobs/:id (cancel) and GET /v1/jobs/:id/events (SSE).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { jobEndPayload, type GenerationQueue, type QueuedGeneration, type WebhookSender } from '../../../adapters/wire.ts';
import type { GenerationResult } from '../../../pipeline/generate-job.ts';
import type { ImageStore, JobInfo } from '../../../pipeline/ports.ts';
import { HttpError, notFound } from '../../http-errors.ts';
import type { JobEvents } from '../../job-events.ts';
import { streamJob } from '../../job-stream.ts';
import { authedErrors, bearer, IdParams } from '../../schemas/common.ts';
import { Cancelled, EventStream, JobView } from '../../schemas/jobs.ts';
import { jobRecordView, jobView } from '../../views.ts';

export interface JobRoutesDeps {
  readonly queue: GenerationQueue;
  readonly images: ImageStore;
  readonly events: JobEvents;
  readonly webhooks: WebhookSender;
}

const FINISHED = ['completed', 'failed', 'cancelled'];

const jobs: FastifyPluginAsyncTypebox<JobRoutesDeps> = async (fastify, deps) => {
  /** The caller's job while the queue holds it; another user's reads as absent. */
  const queued = async (userId: string, id: string): Promise<JobInfo<QueuedGeneration, GenerationResult> | undefined> => {
    const info = await deps.queue.get(id);
    return info?.userId === userId ? info : undefined;
  };

  fastify.get('/jobs/:id', {
    schema: { tags: ['generations'], summary: 'A job: state, position, progress, images', security: bearer, params: IdParams, response: { 200: JobView, ...authedErrors() } },
  }, async (request) => {
    const { id } = request.params;
    const userId = request.user.id;
    const info = await queued(userId, id);
    if (info) return jobView(info, info.state === 'completed' ? await deps.images.jobImages(userId, id) : []);
    const record = await deps.images.getJob(userId, id);
    if (!record) throw notFound('job');
    return jobRecordView(record, await deps.images.jobImages(userId, id));
  });

  fastify.delete('/jobs/:id', {
    schema: { tags: ['generations'], summary: 'Cancel a queued or running job', security: bearer, params: IdParams, response: { 200: Cancelled, ...authedErrors(409) } },
  }, async (request) => {
    const { id } = request.params;
    const info = await queued(request.user.id, id);
    if (!info) {
      const record = await deps.images.getJob(request.user.id, id);
      throw record ? new HttpError(409, `job already ${record.state}`) : notFound('job');
    }
    if (FINISHED.includes(info.state) || !(await deps.queue.cancel(id, 'cancelled by request'))) throw new HttpError(409, `job already ${info.state === 'running' ? 'finished' : info.state}`);
    await deps.images.finishJob(id, 'cancelled', 'cancelled by request').catch((err) => request.log.warn({ err }, 'cancelled job not recorded'));
    if (info.data.webhook) deps.webhooks.deliver(info.data.webhook, jobEndPayload(id, 'cancelled', { error: 'cancelled by request' }));
    return { id, state: 'cancelled' as const };
  });

  fastify.get('/jobs/:id/events', {
    schema: {
      tags: ['generations'], summary: "A job's progress as Server-Sent Events", security: bearer, params: IdParams,
      response: { 200: { content: { 'text/event-stream': { schema: EventStream } } }, ...authedErrors() },
    },
  }, async (request, reply) => {
    const info = await queued(request.user.id, request.params.id);
    if (!info) throw notFound('job');
    await streamJob(reply, info, deps);
  });
};

export default jobs;
