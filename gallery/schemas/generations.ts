// POST /v1/generations and /v1/generations/batch. Ranges here are the static ones; the prompt's
// token budget depends on the model and is checked by validateGenerationRequest before enqueueing.
import { Type } from '@sinclair/typebox';
import { LIMITS } from '../../pipeline/generate-job.ts';
import { Id, strict } from './common.ts';

/** Items per batch request; more means more requests (fairness keeps other users moving). */
export const MAX_BATCH_ITEMS = 100;
export const MAX_PROMPT_CHARS = 2000;

export const GenerationBody = strict({
  prompt: Type.String({ maxLength: MAX_PROMPT_CHARS, description: "What to draw; at most the model's token budget" }),
  negative_prompt: Type.Optional(Type.String({ maxLength: MAX_PROMPT_CHARS })),
  n: Type.Integer({ minimum: 1, maximum: LIMITS.n, description: 'Images kept' }),
  candidates: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.candidates, description: 'Images generated before the rerank keeps n (n..32; default n)' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff - LIMITS.candidates, description: 'Image k has seed + k' })),
  steps: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.steps })),
  guidance: Type.Optional(Type.Number({ minimum: 0, maximum: LIMITS.guidance })),
  personalization: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: '0 = off, 1 = full (default)' })),
  webhook_url: Type.Optional(Type.String({ maxLength: 2048, description: 'POSTed a signed JSON body when the job ends; http(s), public addresses only' })),
  webhook_secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256, description: 'Required with webhook_url: the HMAC-SHA256 key of the signature' })),
});

export const BatchBody = strict({
  items: Type.Array(GenerationBody, { minItems: 1, maxItems: MAX_BATCH_ITEMS, description: `1 to ${MAX_BATCH_ITEMS} generations` }),
});

export const JobAccepted = strict({ job_id: Id });
export const BatchAccepted = strict({ job_ids: Type.Array(Id) });
