// @fastify/rate-limit: requests per minute per API key (per address for requests without one),
// on the /v1 routes. In scale-out the counters live in Redis, so the limit holds across API nodes.
import { hash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Services } from '../../../adapters/wire.ts';
import { bearerToken } from '../app/auth.ts';

export interface RateLimitSettings {
  /** Requests per minute per key. */
  readonly max: number;
  readonly redis?: Services['redis'];
}

// Keys are hashed: a raw key must never sit in Redis or in memory dumps as a map key.
function keyOf(request: FastifyRequest): string {
  const token = bearerToken(request);
  return token ? `key:${hash('sha256', token, 'base64url').slice(0, 22)}` : `ip:${request.ip}`;
}

async function limits(fastify: FastifyInstance, settings: RateLimitSettings): Promise<void> {
  await fastify.register(rateLimit, {
    global: true,
    max: settings.max,
    timeWindow: 60_000,
    ...(settings.redis && { redis: settings.redis, nameSpace: 'atelier-rate-limit:' }),
    keyGenerator: keyOf,
    allowList: (request) => !request.url.startsWith('/v1/'),
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`rate limit: ${context.max} requests per minute per key; retry in ${context.after}`), { statusCode: 429 }),
  });
}

export default fp(limits, { name: 'rate-limit' });
