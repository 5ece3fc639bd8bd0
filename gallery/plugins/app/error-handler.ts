// The one error handler: every error leaves as {statusCode, error, message, field?}; a 5xx is
// logged in full and answered without details.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { toHttpError } from '../../http-errors.ts';

async function errorHandler(fastify: FastifyInstance): Promise<void> {
  fastify.setErrorHandler((err, request, reply) => {
    const answer = toHttpError(err);
    if (answer.statusCode >= 500 && answer.statusCode !== 503) request.log.error({ err }, 'request failed');
    if (answer.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '10');
    if (answer.statusCode === 401) reply.header('www-authenticate', 'Bearer');
    return reply.code(answer.statusCode).type('application/json').send(answer);
  });
  fastify.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });
}

export default fp(errorHandler, { name: 'error-handler' });
