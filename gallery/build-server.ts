// A Fastify instance with the app registered: what server.ts listens with, and what tests and
// benchmarks inject into. Server-wide limits live here.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import app, { type AppDeps } from './app.ts';

/** Bodies larger than this answer 413 (the batch route allows 1 MiB). */
export const BODY_LIMIT = 64 * 1024;

export async function buildServer(deps: AppDeps, options: { logger?: FastifyServerOptions['logger'] } = {}): Promise<FastifyInstance> {
  const fastify = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT,
    // Event streams hold their connections: close them too when the server closes.
    forceCloseConnections: true,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
  });
  await fastify.register(app, deps);
  return fastify;
}
