// `npm start`: reads the configuration, builds the services, and listens. Embedded by default (API
// and worker in this process, SQLite, the bundled model); with REDIS_URL and DATABASE_URL an API
// node of a scale-out deployment, whose jobs `npm run worker` processes run.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import {
  AdminKey, buildServices, FeedbackLoop, loadServiceRuntime, readConfig, serveGenerations, WebhookPolicy, WebhookSender,
} from '../adapters/wire.ts';
import { buildServer } from './build-server.ts';

const config = readConfig(process.env, { role: 'server' });
const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
const log = (line: string) => console.error(line);

const services = await buildServices(config, { onError: (err) => log(`queue: ${err instanceof Error ? err.message : String(err)}`) });
const runtime = await loadServiceRuntime(config, { generate: config.concurrency > 0, log });
let announce: ((base: string) => void) | undefined;
const adminKey = await AdminKey.resolve({
  ...(config.adminKey && { key: config.adminKey }),
  dataDir: config.dataDir,
  // Shown after the URLs, once the server listens, so the example command is complete.
  announce: (key, file) => {
    announce = (base) => console.log(`\nAdmin key (shown this once; only its hash is kept, in ${file}):\n  ${key}\n`
      + `Create a user: curl -X POST ${base}/v1/users -H "Authorization: Bearer ${key}" -H 'content-type: application/json' -d '{"name":"me"}'\n`);
  },
});
const webhookPolicy = new WebhookPolicy(config.webhookAllow);
const webhooks = new WebhookSender(webhookPolicy, { log });
const { store, files, queue } = services;
const feedback = new FeedbackLoop({ history: store, images: store, personalizer: runtime.personalizer });

const worker = config.concurrency > 0 && runtime.backend
  ? serveGenerations(queue, { backend: runtime.backend, images: store, history: store, files, personalizer: runtime.personalizer }, {
    concurrency: config.concurrency, attempts: services.queueSettings.attempts, webhooks, log,
  })
  : undefined;

const app = await buildServer({
  users: store, images: store, history: store, files, queue, feedback, limits: runtime.limits, adminKey, webhookPolicy, webhooks,
  rateLimit: { max: config.rateLimit, ...(services.redis && { redis: services.redis }) }, version,
}, { logger: { level: config.logLevel } });
await app.listen({ port: config.port, host: config.host });

const { port } = app.server.address() as AddressInfo;
const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
const base = `http://${shown}:${port}`;
console.log(`Atelier ${version} (${services.description}; ${worker ? `generating here, ${config.concurrency} at a time` : 'jobs run on `npm run worker` processes'})`);
console.log(`  Gallery:  ${base}/`);
console.log(`  API docs: ${base}/docs`);
announce?.(base);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: finishing running jobs, then stopping`);
  await app.close();
  await worker?.close();
  await webhooks.close();
  await services.close();
  await runtime.release();
  process.exit(0);
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
