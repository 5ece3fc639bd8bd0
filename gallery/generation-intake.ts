// From request bodies to queued jobs: every item is checked (the model's token budget included)
// before any is queued, so a batch is all or nothing; webhook URLs are checked here too, so a
// forbidden one is a 400 now rather than a silent failure later. Batches queue behind single
// requests (priority 200 vs 100): someone waiting on one image goes before a bulk run.
import type { Static } from '@sinclair/typebox';
import { validateGenerationRequest, type GenerationQueue, type PromptLimits, type QueuedGeneration, type WebhookPolicy } from '../adapters/wire.ts';
import type { GenerationRequest } from '../pipeline/generate-job.ts';
import type { ImageStore } from '../pipeline/ports.ts';
import { apiField, HttpError } from './http-errors.ts';
import type { JobEvents } from './job-events.ts';
import type { AppMetrics } from './metrics.ts';
import type { GenerationBody } from './schemas/generations.ts';

export interface IntakeDeps {
  readonly queue: GenerationQueue;
  readonly images: Pick<ImageStore, 'createJob'>;
  readonly limits: PromptLimits;
  readonly webhookPolicy: WebhookPolicy;
  readonly events: JobEvents;
  readonly metrics: AppMetrics;
}

type Body = Static<typeof GenerationBody>;

const PRIORITY = { single: 100, batch: 200 } as const;

function toRequest(body: Body): GenerationRequest {
  return {
    prompt: body.prompt,
    n: body.n,
    ...(body.negative_prompt !== undefined && { negativePrompt: body.negative_prompt }),
    ...(body.candidates !== undefined && { candidates: body.candidates }),
    ...(body.seed !== undefined && { seed: body.seed }),
    ...(body.steps !== undefined && { steps: body.steps }),
    ...(body.guidance !== undefined && { guidance: body.guidance }),
    ...(body.personalization !== undefined && { personalization: body.personalization }),
  };
}

async function check(deps: IntakeDeps, userId: string, body: Body, at: string): Promise<QueuedGeneration> {
  let request: GenerationRequest;
  try {
    request = validateGenerationRequest(toRequest(body), deps.limits);
  } catch (err) {
    const e = err as { name?: string; field?: string; accepted?: string };
    if (e.name !== 'GenerationInputError' || !e.field) throw err;
    const field = at + apiField(e.field);
    throw new HttpError(400, `${field}: ${e.accepted}`, field);
  }
  if (body.webhook_secret !== undefined && body.webhook_url === undefined) {
    throw new HttpError(400, `${at}webhook_url: required with webhook_secret`, `${at}webhook_url`);
  }
  if (body.webhook_url === undefined) return { userId, request };
  if (body.webhook_secret === undefined) {
    throw new HttpError(400, `${at}webhook_secret: required with webhook_url (16 to 256 characters; the body is signed with it)`, `${at}webhook_secret`);
  }
  try {
    await deps.webhookPolicy.check(body.webhook_url);
  } catch (err) {
    const e = err as { name?: string; accepted?: string };
    if (e.name !== 'WebhookUrlError') throw err;
    throw new HttpError(400, `${at}webhook_url: ${e.accepted}`, `${at}webhook_url`);
  }
  return { userId, request, webhook: { url: body.webhook_url, secret: body.webhook_secret } };
}

/** Checks every body, then queues them all; returns the job ids in order. */
export async function admitGenerations(deps: IntakeDeps, userId: string, bodies: readonly Body[], route: 'single' | 'batch'): Promise<string[]> {
  const data: QueuedGeneration[] = [];
  for (const [i, body] of bodies.entries()) data.push(await check(deps, userId, body, route === 'batch' ? `items[${i}].` : ''));
  const enqueuedAt = Date.now();
  const ids = await deps.queue.enqueueBatch(data.map((d) => ({ userId, data: d, priority: PRIORITY[route] })));
  for (const [i, id] of ids.entries()) {
    deps.events.track(id, enqueuedAt);
    // The secret stays in the queue only; the record keeps where the webhook went.
    const d = data[i]!;
    await deps.images.createJob({ id, userId, request: { ...d.request, ...(d.webhook && { webhookUrl: d.webhook.url }) } });
  }
  deps.metrics.jobsEnqueued.inc({ route }, ids.length);
  return ids;
}
