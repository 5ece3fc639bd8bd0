// POST /v1/users: the admin creates a user and gets their API key, shown this once.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { UserStore } from '../../../pipeline/ports.ts';
import { bearer, errors } from '../../schemas/common.ts';
import { CreatedUser, NewUser } from '../../schemas/users.ts';

const users: FastifyPluginAsyncTypebox<{ users: Pick<UserStore, 'createUser'> }> = async (fastify, deps) => {
  fastify.post('/users', {
    schema: { tags: ['admin'], summary: 'Create a user (admin key)', security: bearer, body: NewUser, response: { 201: CreatedUser, ...errors(401, 403, 413, 415) } },
  }, async (request, reply) => {
    const { user, apiKey } = await deps.users.createUser(request.body.name);
    return reply.code(201).send({ id: user.id, name: user.name, api_key: apiKey });
  });
};

export default users;
