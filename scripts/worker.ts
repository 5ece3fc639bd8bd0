// `npm run worker`: a scale-out worker. Loads the model once, then serves generation jobs from
// BullMQ (REDIS_URL) into PostgreSQL (DATABASE_URL) and the shared DATA_DIR, ATELIER_CONCURRENCY
// at a time (default 1). Run as many as you like, on as many machines; a job whose worker dies
// is taken back by another once its lock expires (ATELIER_JOB_LOCK_MS).
import {
  buildServices, ConfigError, loadServiceRuntime, modeOf, readConfig, serveGenerations, WebhookPolicy, WebhookSender,
} from '../adapters/wire.ts';

const config = readConfig(process.env, { role: 'worker' });
if (modeOf(config) !== 'scale-out') {
  // An embedded server already runs its own jobs; a worker on a private queue would serve nobody.
  throw new ConfigError('REDIS_URL', 'set, with DATABASE_URL: `npm run worker` serves a shared queue (npm start alone runs everything embedded)', undefined);
}
if (config.concurrency < 1) throw new ConfigError('ATELIER_CONCURRENCY', 'at least 1 for a worker', String(config.concurrency));
const log = (line: string) => console.log(`[worker ${process.pid}] ${line}`);

const services = await buildServices(config, { onError: (err) => log(`queue: ${err instanceof Error ? err.message : String(err)}`) });
// Users rate through API nodes: each job rebuilds the profile from the store, never a stale copy.
const runtime = await loadServiceRuntime(config, { generate: true, freshProfiles: true, log });
const webhooks = new WebhookSender(new WebhookPolicy(config.webhookAllow), { log });
const { store, files } = services;
const worker = serveGenerations(services.queue, { backend: runtime.backend!, images: store, history: store, files, personalizer: runtime.personalizer }, {
  concurrency: config.concurrency, attempts: services.queueSettings.attempts, webhooks, log,
});
log(`ready: ${runtime.backend!.model} on ${runtime.backend!.provider}, ${config.concurrency} at a time (${services.description})`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: finishing running jobs, then stopping`);
  await worker.close();
  await webhooks.close();
  await services.close();
  await runtime.release();
  process.exit(0);
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
