// /healthz (the process answers), /readyz (the store and the queue answer) and /metrics. None
// needs a key; /healthz and /metrics answer even under pressure.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppMetrics } from '../../metrics.ts';
import { errors } from '../../schemas/common.ts';
import { Healthy, MetricsText, Readiness } from '../../schemas/ops.ts';

export interface OpsDeps {
  readonly metrics: AppMetrics;
  /** Named probes; each resolves when its dependency answers. */
  readonly probes: Readonly<Record<string, () => Promise<unknown>>>;
}

const PROBE_TIMEOUT_MS = 2000;
const always = { pressureHandler: () => undefined };

async function probe(check: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS)))]);
    return 'ok';
  } catch (err) {
    return err instanceof Error && err.message.startsWith('no answer') ? err.message : 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

const ops: FastifyPluginAsyncTypebox<OpsDeps> = async (fastify, deps) => {
  fastify.get('/healthz', { config: always, schema: { tags: ['ops'], summary: 'Liveness', response: { 200: Healthy, ...errors() } } }, async () => ({ status: 'ok' as const }));

  fastify.get('/readyz', {
    schema: { tags: ['ops'], summary: 'Readiness: the store and the queue answer', response: { 200: Readiness, 503: Readiness, ...errors() } },
  }, async (_request, reply) => {
    const names = Object.keys(deps.probes);
    const results = await Promise.all(names.map((n) => probe(deps.probes[n]!)));
    const checks = Object.fromEntries(names.map((n, i) => [n, results[i]!]));
    const ready = results.every((r) => r === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
  });

  fastify.get('/metrics', {
    config: always,
    schema: { tags: ['ops'], summary: 'Prometheus metrics', response: { 200: { content: { 'text/plain': { schema: MetricsText } } }, ...errors() } },
  }, async (_request, reply) => reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()));
};

export default ops;
