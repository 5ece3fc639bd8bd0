// The embedded app at test size: real SQLite and image files in a temporary DATA_DIR, the
// in-process queue, the bundled pack's embedder and tokenizer; the model and a worker only when
// a test generates. Images can be seeded straight into the store (real files, tiny pixels), so
// gallery tests need not wait for the model.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  AdminKey, buildServices, FeedbackLoop, loadServiceRuntime, readConfig, serveGenerations, WebhookPolicy, WebhookSender,
  type ServiceRuntime, type Services,
} from '../../adapters/wire.ts';
import type { AppDeps } from '../../gallery/app.ts';
import { buildServer } from '../../gallery/build-server.ts';
import type { JobWorker, StoredImage } from '../../pipeline/ports.ts';

export const ADMIN_KEY = 'test-admin-key-0123456789';

export interface HarnessOptions {
  /** Load the model and attach a worker (embedded mode for real). */
  readonly generate?: boolean;
  readonly rateLimit?: number;
  readonly pressure?: AppDeps['pressure'];
  readonly webhookAllow?: readonly string[];
  /** Replace parts of the app's dependencies (e.g. a store that fails). */
  readonly override?: (deps: AppDeps) => AppDeps;
}

export interface Harness {
  readonly app: FastifyInstance;
  readonly services: Services;
  readonly runtime: ServiceRuntime;
  readonly dataDir: string;
  readonly webhooks: WebhookSender;
  createUser(name?: string): Promise<{ id: string; key: string; auth: { authorization: string } }>;
  /** Images with real files (8x8 pixels) and 64-d embeddings, as a finished job of `userId`. */
  seedImages(userId: string, count: number, prompt?: string): Promise<StoredImage[]>;
  close(): Promise<void>;
}

function unitVector(seed: number, dim = 64): number[] {
  const v = Array.from({ length: dim }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 43758.5453 % 1);
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'atelier-gallery-'));
  const config = readConfig({ DATA_DIR: dataDir, ATELIER_CONCURRENCY: options.generate ? '1' : '0', ATELIER_DEVICE: 'cpu' });
  const services = await buildServices(config, { queue: { backoffMs: 50 } });
  const runtime = await loadServiceRuntime(config, { generate: options.generate ?? false, env: {}, log: () => {} });
  const policy = new WebhookPolicy(options.webhookAllow ?? ['127.0.0.1']);
  const webhooks = new WebhookSender(policy, { backoffMs: 50, log: () => {} });
  const { store, files, queue } = services;
  const feedback = new FeedbackLoop({ history: store, images: store, personalizer: runtime.personalizer });
  let worker: JobWorker | undefined;
  if (options.generate) {
    worker = serveGenerations(queue, { backend: runtime.backend!, images: store, history: store, files, personalizer: runtime.personalizer }, {
      concurrency: 1, attempts: services.queueSettings.attempts, webhooks,
    });
  }
  const base: AppDeps = {
    users: store, images: store, history: store, files, queue, feedback, limits: runtime.limits,
    adminKey: AdminKey.fromKey(ADMIN_KEY), webhookPolicy: policy, webhooks,
    rateLimit: { max: options.rateLimit ?? 1_000_000 },
    ...(options.pressure && { pressure: options.pressure }),
  };
  const app = await buildServer(options.override ? options.override(base) : base);
  await app.ready();

  let seeded = 0;
  return {
    app, services, runtime, dataDir, webhooks,
    async createUser(name = `user-${randomUUID().slice(0, 8)}`) {
      const { user, apiKey } = await store.createUser(name);
      return { id: user.id, key: apiKey, auth: { authorization: `Bearer ${apiKey}` } };
    },
    async seedImages(userId, count, prompt = 'a red circle, on a teal background') {
      const jobId = randomUUID();
      await store.createJob({ id: jobId, userId, request: { prompt, n: count } });
      const params = { prompt, negativePrompt: '', steps: 4, guidance: 4, width: 8, height: 8, scheduler: 'ddim', model: 'seeded' };
      const images = [];
      for (let i = 0; i < count; i++) {
        const seed = ++seeded;
        const pixels = new Uint8Array(8 * 8 * 3).map((_, k) => (k * 37 + seed * 101) % 256);
        const file = await files.save({ seed, width: 8, height: 8, pixels }, params);
        images.push({
          jobId, userId, seed, file, params, rewrittenPrompt: prompt, profile: null, scores: { total: 1 - i / 10 },
          embedding: unitVector(seed), attributes: [i % 2 ? 'blue background' : 'teal background'], explanation: 'seeded',
        });
      }
      const saved = await store.saveImages(images);
      await store.finishJob(jobId, 'completed');
      return saved;
    },
    async close() {
      await app.close();
      await worker?.close();
      await webhooks.close();
      await services.close();
      await runtime.release();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
