// @fastify/swagger: the OpenAPI document, generated from the routes' TypeBox schemas.
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function openapi(fastify: FastifyInstance, options: { version: string }): Promise<void> {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Atelier',
        version: options.version,
        description: 'Personalized text-to-image: queue generations, rate the results, and the next ones follow your taste.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key (POST /v1/users), or the admin key for admin routes' } } },
      tags: [
        { name: 'generations', description: 'Queue jobs and follow them' },
        { name: 'images', description: 'Your gallery and feedback' },
        { name: 'profile', description: 'What the service learned of your taste' },
        { name: 'admin', description: 'Admin key only' },
        { name: 'ops', description: 'Health and metrics' },
      ],
    },
  });
}

export default fp(openapi, { name: 'swagger' });
