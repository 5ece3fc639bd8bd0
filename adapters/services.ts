// The two shapes of the service, picked by configuration (adapters/config.ts):
// - embedded (no REDIS_URL, no DATABASE_URL): the in-process queue, SQLite at DATA_DIR/atelier.db,
//   image files under DATA_DIR/images; one process does everything;
// - scale-out (both set): BullMQ on Redis and PostgreSQL, shared by API nodes and `npm run worker`
//   processes; image files still live under DATA_DIR, which every node must share.
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { GenerationJobData, GenerationResult } from '../pipeline/generate-job.ts';
import type { HistoryStore, ImageStore, JobQueue, UserStore } from '../pipeline/ports.ts';
import { modeOf, type AtelierConfig, type Mode } from './config.ts';
import { BullmqJobQueue } from './queue/bullmq.ts';
import { InProcessJobQueue } from './queue/in-process.ts';
import { resolveSettings, type QueueSettings } from './queue/settings.ts';
import { DiskImageFiles } from './store/image-files.ts';
import { openPostgresStore } from './store/postgres.ts';
import { openSqliteStore } from './store/sqlite.ts';
import type { WebhookTarget } from './webhooks/webhook-sender.ts';

/** What travels in the queue: the job's data plus where to report its end. */
export interface QueuedGeneration extends GenerationJobData {
  readonly webhook?: WebhookTarget;
}

export type GenerationQueue = JobQueue<QueuedGeneration, GenerationResult>;
export type Stores = UserStore & ImageStore & HistoryStore;

export interface Services {
  readonly mode: Mode;
  readonly queue: GenerationQueue;
  readonly queueSettings: QueueSettings;
  readonly store: Stores;
  readonly files: DiskImageFiles;
  /** Scale-out only: a connection for state every API node must share (rate-limit counters). */
  readonly redis?: Redis;
  /** One line for the start banner, without secrets. */
  readonly description: string;
  close(): Promise<void>;
}

export interface ServiceOptions {
  readonly queue?: Partial<QueueSettings>;
  readonly onError?: (err: unknown) => void;
}

export async function buildServices(config: AtelierConfig, options: ServiceOptions = {}): Promise<Services> {
  const mode = modeOf(config);
  // Workers all reach the API's admission window at once; the README's rule of thumb.
  const queueSettings = resolveSettings({ admissionWindow: 32, ...options.queue });
  const files = new DiskImageFiles(config.dataDir);
  if (mode === 'embedded') {
    const file = join(config.dataDir, 'atelier.db');
    const store = await openSqliteStore(file);
    // The in-process queue keeps nothing across restarts: jobs the last process had not finished
    // would read "queued" forever. They fail, saying why (their webhook secrets lived in that queue too).
    const lost = await store.failUnfinishedJobs('the server stopped before this job finished; submit it again');
    if (lost) options.onError?.(new Error(`${lost} job(s) left unfinished by the last run were marked failed (the in-process queue does not survive a restart)`));
    const queue: GenerationQueue = new InProcessJobQueue(queueSettings);
    return {
      mode, queue, queueSettings, store, files,
      description: `embedded: in-process queue, SQLite at ${file}, images under ${config.dataDir}`,
      close: async () => {
        await queue.close();
        await store.close();
      },
    };
  }
  const store = await openPostgresStore(config.databaseUrl!, { ...(config.pgSchema && { schema: config.pgSchema }) });
  let queue: GenerationQueue;
  try {
    queue = await BullmqJobQueue.open<QueuedGeneration, GenerationResult>({
      url: config.redisUrl!, prefix: config.queuePrefix, lockDurationMs: config.jobLockMs,
      ...queueSettings, ...(options.onError && { onError: options.onError }),
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  // Rate limiting must answer even when Redis is slow: short timeouts, one retry.
  const redis = new Redis(config.redisUrl!, { connectTimeout: 1000, maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on('error', (err) => (options.onError ?? console.error)(err));
  return {
    mode, queue, queueSettings, store, files, redis,
    description: `scale-out: BullMQ on Redis (prefix ${config.queuePrefix}), PostgreSQL${config.pgSchema ? ` (schema ${config.pgSchema})` : ''}, images under ${config.dataDir}`,
    close: async () => {
      await queue.close();
      redis.disconnect();
      await store.close();
    },
  };
}
