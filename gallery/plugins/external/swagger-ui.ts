// @fastify/swagger-ui: the API docs at /docs (the document itself at /docs/json).
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function docs(fastify: FastifyInstance): Promise<void> {
  await fastify.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
}

export default fp(docs, { name: 'swagger-ui', dependencies: ['swagger'] });
