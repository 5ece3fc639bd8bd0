// POST /v1/generations and /v1/generations/batch: queue jobs, answer 202 with their ids.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { admitGenerations, type IntakeDeps } from '../../generation-intake.ts';
import { authedErrors, bearer } from '../../schemas/common.ts';
import { BatchAccepted, BatchBody, GenerationBody, JobAccepted, MAX_BATCH_ITEMS } from '../../schemas/generations.ts';

/** A full batch of long prompts fits; everything else keeps the global 64 KiB limit. */
export const BATCH_BODY_LIMIT = 1024 * 1024;

const generations: FastifyPluginAsyncTypebox<IntakeDeps> = async (fastify, deps) => {
  fastify.post('/generations', {
    schema: {
      tags: ['generations'], summary: 'Queue a generation', security: bearer,
      body: GenerationBody, response: { 202: JobAccepted, ...authedErrors(413, 415) },
    },
  }, async (request, reply) => {
    const [id] = await admitGenerations(deps, request.user.id, [request.body], 'single');
    return reply.code(202).header('location', `/v1/jobs/${id}`).send({ job_id: id! });
  });

  fastify.post('/generations/batch', {
    bodyLimit: BATCH_BODY_LIMIT,
    schema: {
      tags: ['generations'], summary: `Queue up to ${MAX_BATCH_ITEMS} generations at once (all or none)`, security: bearer,
      body: BatchBody, response: { 202: BatchAccepted, ...authedErrors(413, 415) },
    },
  }, async (request, reply) => {
    const ids = await admitGenerations(deps, request.user.id, request.body.items, 'batch');
    return reply.code(202).send({ job_ids: ids });
  });
};

export default generations;
