// @fastify/under-pressure: 503 with Retry-After while the event loop lags or memory runs high,
// instead of queueing work the process cannot take. /healthz and /metrics opt out per route.
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface PressureSettings {
  readonly maxEventLoopDelay?: number;
  readonly maxHeapUsedBytes?: number;
  readonly maxRssBytes?: number;
  readonly sampleInterval?: number;
}

async function pressure(fastify: FastifyInstance, settings: PressureSettings): Promise<void> {
  await fastify.register(underPressure, {
    maxEventLoopDelay: settings.maxEventLoopDelay ?? 1000,
    maxHeapUsedBytes: settings.maxHeapUsedBytes ?? 0,
    maxRssBytes: settings.maxRssBytes ?? 0,
    ...(settings.sampleInterval && { sampleInterval: settings.sampleInterval }),
    retryAfter: 10,
    exposeStatusRoute: false,
  });
}

export default fp(pressure, { name: 'under-pressure' });
