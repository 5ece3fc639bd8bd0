// Bearer authentication. `requireUser` takes an API key (atl_...) and sets request.user;
// `requireAdmin` takes the admin key only. No key, or one nobody has, is 401; a user's key on an
// admin route is 403.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AdminKey } from '../../../adapters/wire.ts';
import type { User, UserStore } from '../../../pipeline/ports.ts';
import { HttpError } from '../../http-errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireUser; routes behind it may rely on it. */
    user: User;
  }
  interface FastifyInstance {
    requireUser(request: FastifyRequest): Promise<void>;
    requireAdmin(request: FastifyRequest): Promise<void>;
  }
}

export interface AuthOptions {
  readonly users: Pick<UserStore, 'authenticate'>;
  readonly adminKey: AdminKey;
}

const BEARER = /^Bearer +([\x21-\x7e]{1,512}) *$/;

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
}

const missing = () => new HttpError(401, 'authorization: send "Authorization: Bearer <api key>"', 'authorization');

async function auth(fastify: FastifyInstance, options: AuthOptions): Promise<void> {
  fastify.decorateRequest('user', null as unknown as User);
  fastify.decorate('requireUser', async (request: FastifyRequest) => {
    const key = bearerToken(request);
    if (!key) throw missing();
    const user = await options.users.authenticate(key);
    if (!user) throw new HttpError(401, 'authorization: unknown or revoked API key', 'authorization');
    request.user = user;
  });
  fastify.decorate('requireAdmin', async (request: FastifyRequest) => {
    const key = bearerToken(request);
    if (!key) throw missing();
    if (options.adminKey.verify(key)) return;
    if (await options.users.authenticate(key)) throw new HttpError(403, 'authorization: this route takes the admin key', 'authorization');
    throw new HttpError(401, 'authorization: not the admin key', 'authorization');
  });
}

export default fp(auth, { name: 'auth' });
