// Serves the built web gallery (npm run build:web -> gallery/web/dist) at `/`. The page itself
// talks only to the public /v1 API with the user's key, so nothing here needs auth.
// Registered without fastify-plugin on purpose: its static routes stay in their own context.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const WEB_DIST_DIR = resolve(import.meta.dirname, '..', '..', 'web', 'dist');

export interface WebUiOptions {
  /** The built assets; default gallery/web/dist. */
  readonly root?: string;
}

// Images are fetched with the key and shown from blob: URLs; everything else is same-origin.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "img-src 'self' blob: data:", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
  "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'", "object-src 'none'",
].join('; ');

export default async function webUi(app: FastifyInstance, options: WebUiOptions = {}): Promise<void> {
  const root = options.root ?? WEB_DIST_DIR;
  if (!existsSync(resolve(root, 'index.html'))) {
    // Not a silent fallback: the page says what to run, and the log says it at start.
    const hint = `The web gallery is not built (no ${resolve(root, 'index.html')}): run \`npm run build:web\` (npm start and npm test do it first).`;
    app.log.warn(hint);
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.code(503).type('text/plain; charset=utf-8').send(hint));
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // Routes for the files present at start only: unknown paths stay the API's 404s.
    wildcard: false,
    index: 'index.html',
    decorateReply: false,
    // Asset names carry no hash, so the browser revalidates (ETag) instead of caching blindly.
    cacheControl: false,
    setHeaders(reply) {
      reply.header('cache-control', 'no-cache');
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
    },
  });
}
