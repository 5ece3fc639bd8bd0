// Queue overhead: no-op jobs per second through our BullMQ adapter (per-user fair admission,
// cancellation, events) against raw BullMQ, on the same Redis, in the same run, rounds
// interleaved. Both count completions from BullMQ's event stream. Target: ratio >= 0.5.
//
//   npm run bench:queue -- [--jobs 2000] [--concurrency 50] [--rounds 3] [--json]
//
// Needs Redis (REDIS_URL, default redis://127.0.0.1:6379). The admission window is set to the
// worker concurrency x 2, as adapters/queue/README.md advises (at least the total concurrency).
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { BullmqJobQueue } from '../../adapters/queue/bullmq.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    users: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const JOBS = Number(values.jobs);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const USERS = Number(values.users);
const WINDOW = Math.min(1000, CONCURRENCY * 2);
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function dropKeys(prefix: string): Promise<void> {
  const redis = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}

function counter(total: number): { done: Promise<void>; tick: () => void } {
  let n = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return { done, tick: () => ++n === total && resolve() };
}

/** Raw BullMQ: addBulk, a Worker with a no-op processor, completions from QueueEvents. */
async function raw(): Promise<number> {
  const prefix = `bench-raw-${randomUUID().slice(0, 8)}`;
  const connections = Array.from({ length: 3 }, () => new Redis(url, { maxRetriesPerRequest: null }));
  const queue = new Queue('q', { connection: connections[0]!, prefix });
  const events = new QueueEvents('q', { connection: connections[1]!, prefix });
  await events.waitUntilReady();
  const { done, tick } = counter(JOBS);
  events.on('completed', tick);
  const worker = new Worker('q', async () => null, { connection: connections[2]!, prefix, concurrency: CONCURRENCY });
  const start = performance.now();
  for (let i = 0; i < JOBS; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({ name: 'job', data: { userId: `u${(i + k) % USERS}`, data: {} }, opts: { removeOnComplete: true } })));
  }
  await done;
  const rate = JOBS / ((performance.now() - start) / 1000);
  await worker.close();
  await events.close();
  await queue.close();
  await Promise.all(connections.map((c) => c.quit()));
  await dropKeys(prefix);
  return rate;
}

/** Ours: enqueueBatch, work() with a no-op processor, completions from subscribe(). */
async function ours(): Promise<number> {
  const prefix = `bench-ours-${randomUUID().slice(0, 8)}`;
  const producer = await BullmqJobQueue.open<object, null>({ url, prefix, name: 'q', admissionWindow: WINDOW });
  const consumer = await BullmqJobQueue.open<object, null>({ url, prefix, name: 'q', admissionWindow: WINDOW });
  const { done, tick } = counter(JOBS);
  producer.subscribe((e) => e.type === 'completed' && tick());
  const worker = consumer.work(async () => null, { concurrency: CONCURRENCY });
  const start = performance.now();
  for (let i = 0; i < JOBS; i += 1000) {
    await producer.enqueueBatch(Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({ userId: `u${(i + k) % USERS}`, data: {} })));
  }
  await done;
  const rate = JOBS / ((performance.now() - start) / 1000);
  await worker.close();
  await consumer.close();
  await producer.close();
  await dropKeys(prefix);
  return rate;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rawRates: number[] = [];
const ourRates: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  rawRates.push(await raw());
  ourRates.push(await ours());
  if (!values.json) console.error(`round ${r + 1}: raw ${rawRates.at(-1)!.toFixed(0)} jobs/s, ours ${ourRates.at(-1)!.toFixed(0)} jobs/s`);
}
const result = {
  benchmark: 'queue-overhead',
  jobs: JOBS, concurrency: CONCURRENCY, admissionWindow: WINDOW, users: USERS, rounds: ROUNDS,
  rawBullmqJobsPerSecond: Math.round(median(rawRates)),
  adapterJobsPerSecond: Math.round(median(ourRates)),
  ratio: Number((median(ourRates) / median(rawRates)).toFixed(3)),
  target: 0.5,
  runs: { raw: rawRates.map(Math.round), adapter: ourRates.map(Math.round) },
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else console.log(`no-op jobs/s, median of ${ROUNDS}: raw BullMQ ${result.rawBullmqJobsPerSecond}, our adapter ${result.adapterJobsPerSecond}; ratio ${result.ratio} (target >= 0.5)`);
process.exitCode = result.ratio >= result.target ? 0 : 1;
