// The real app in embedded mode, wired as gallery/server.ts wires it (in-process queue, SQLite in
// a fresh DATA_DIR, the bundled model pack) and listening on 127.0.0.1 at a random port, for
// tests that need a live server (the browser tests). `failPrompt` makes jobs whose prompt
// contains that word fail for good at the backend, so a test can watch a job fail.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  AdminKey, buildServices, FeedbackLoop, loadServiceRuntime, readConfig, serveGenerations, WebhookPolicy, WebhookSender,
} from '../../adapters/wire.ts';
import { buildServer } from '../../gallery/build-server.ts';
import { PermanentJobError, type DiffusionBackend } from '../../pipeline/ports.ts';

export interface RunningAtelier {
  /** http://127.0.0.1:PORT, no trailing slash. */
  readonly url: string;
  readonly adminKey: string;
  readonly dataDir: string;
  /** POST /v1/users with the admin key; returns the new user's API key. */
  createUser(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface AtelierOptions {
  readonly failPrompt?: string;
}

/** The backend, except that a prompt containing `word` fails at once with a reason. */
function failingOn(word: string, backend: DiffusionBackend): DiffusionBackend {
  return {
    model: backend.model, provider: backend.provider, acceptsEmbeddings: backend.acceptsEmbeddings,
    maxTokens: backend.maxTokens, defaults: backend.defaults,
    countTokens: (text) => backend.countTokens(text),
    generate: async (request, options) => {
      if (typeof request.prompt === 'string' && request.prompt.includes(word)) {
        throw new PermanentJobError(`the backend refused the prompt: "${word}" cannot be painted`);
      }
      return backend.generate(request, options);
    },
  };
}

export async function startAtelier(options: AtelierOptions = {}): Promise<RunningAtelier> {
  const dataDir = await mkdtemp(join(tmpdir(), 'atelier-web-'));
  const adminKey = `atladm_test_${Math.random().toString(36).slice(2)}`;
  const config = readConfig({
    DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ATELIER_ADMIN_KEY: adminKey,
    ATELIER_RATE_LIMIT: '1000000', ATELIER_DEVICE: 'cpu', LOG_LEVEL: 'warn',
  }, { role: 'server' });
  const log = () => {};
  const services = await buildServices(config, { onError: (err) => console.error('queue:', err) });
  const runtime = await loadServiceRuntime(config, { generate: true, env: {}, log });
  if (!runtime.backend) throw new Error('embedded mode loaded no backend');
  const backend = options.failPrompt ? failingOn(options.failPrompt, runtime.backend) : runtime.backend;
  const admin = await AdminKey.resolve({ key: adminKey, dataDir, announce: () => {} });
  const webhookPolicy = new WebhookPolicy(config.webhookAllow);
  const webhooks = new WebhookSender(webhookPolicy, { log });
  const { store, files, queue } = services;
  const feedback = new FeedbackLoop({ history: store, images: store, personalizer: runtime.personalizer });
  const worker = serveGenerations(queue, { backend, images: store, history: store, files, personalizer: runtime.personalizer }, {
    concurrency: config.concurrency, attempts: services.queueSettings.attempts, webhooks, log,
  });
  const app = await buildServer({
    users: store, images: store, history: store, files, queue, feedback, limits: runtime.limits, adminKey: admin, webhookPolicy, webhooks,
    rateLimit: { max: config.rateLimit },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  return {
    url, adminKey, dataDir,
    async createUser(name) {
      const response = await fetch(`${url}/v1/users`, {
        method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ name }),
      });
      if (response.status !== 201 && response.status !== 200) throw new Error(`POST /v1/users: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { api_key: string }).api_key;
    },
    async close() {
      await app.close();
      await worker.close();
      await webhooks.close();
      await services.close();
      await runtime.release();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
