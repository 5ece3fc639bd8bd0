// The BullMQ queue against the JobQueue conformance suite, on a real Redis, plus what only a
// shared queue can do: a job whose worker process dies is finished by another.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { BullmqJobQueue, type BullmqQueueOptions } from '../../../adapters/queue/bullmq.ts';
import { FairAdmission } from '../../../adapters/queue/bullmq-admission.ts';
import { ensureRedis } from '../../support/services.ts';
import { queueConformance, type Data, type Result } from './conformance.ts';

/** Deletes every key of a test queue: BullMQ's and the fairness keys beside them. */
export async function dropQueueKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

queueConformance('bullmq', async (settings) => {
  const url = await ensureRedis();
  // A fresh prefix per test keeps tests apart and makes cleanup one pattern.
  const options: BullmqQueueOptions = { url, prefix: `test-${randomUUID()}`, name: 'q', ...settings };
  const producer = await BullmqJobQueue.open<Data, Result>(options);
  const consumer = await BullmqJobQueue.open<Data, Result>(options);
  return {
    producer,
    consumer,
    cleanup: async () => {
      await consumer.close();
      await producer.close();
      await dropQueueKeys(url, options.prefix!);
    },
  };
});

/** A worker in a process of its own (worker-process.ts); `next(prefix)` resolves with its next line starting so. */
function workerProcess(url: string, options: { prefix: string; name: string }) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'worker-process.ts'), url, options.prefix, options.name], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const next = (prefix: string) => new Promise<string>((resolve) => lines.on('line', (l) => l.startsWith(prefix) && resolve(l)));
  return { child, next };
}

/** A worker process takes a job labelled `label` and is SIGKILLed while it runs it; the job's id. */
async function killedMidJob(queue: BullmqJobQueue<Data, Result>, url: string, options: { prefix: string; name: string }, label: string) {
  const { child, next } = workerProcess(url, options);
  try {
    await next('ready');
    const started = next('started');
    const id = await queue.enqueue({ userId: 'alice', data: { label } });
    assert.equal(await started, `started ${id}`);
    return id;
  } finally {
    child.kill('SIGKILL');
  }
}

describe('BullMQ across processes', () => {
  const quick = { lockDurationMs: 1000, stalledIntervalMs: 500 } as const;

  it('finishes on another worker a job whose worker process was killed', async () => {
    const url = await ensureRedis();
    const options = { url, prefix: `test-${randomUUID()}`, name: 'q', ...quick };
    const queue = await BullmqJobQueue.open<Data, Result>(options);
    try {
      const id = await killedMidJob(queue, url, options, 'survivor');
      queue.work(async (job) => ({ label: job.data.label, attempt: job.attempt }));
      const deadline = Date.now() + 15_000;
      let info = await queue.get(id);
      while (info?.state !== 'completed' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        info = await queue.get(id);
      }
      assert.equal(info?.state, 'completed');
      assert.deepEqual(info?.result, { label: 'survivor', attempt: 2 });
    } finally {
      await queue.close();
      await dropQueueKeys(url, options.prefix);
    }
  });

  it('reports a job that stalled past its limit as lost, without running it again', async () => {
    const url = await ensureRedis();
    // No stall allowed: the first dead worker is one too many.
    const options = { url, prefix: `test-${randomUUID()}`, name: 'q', ...quick, maxStalledCount: 0 };
    const queue = await BullmqJobQueue.open<Data, Result>(options);
    try {
      const id = await killedMidJob(queue, url, options, 'crasher');
      const ran: string[] = [];
      const lost = new Promise<{ id: string; label: string; error: string }>((resolve) => {
        queue.work(async (job) => {
          ran.push(job.id);
          return { label: job.data.label, attempt: job.attempt };
        }, { onLost: async (job, error) => resolve({ id: job.id, label: job.data.label, error }) });
      });
      const reported = await Promise.race([lost, new Promise<undefined>((resolve) => setTimeout(resolve, 15_000))]);
      assert.deepEqual(reported, { id, label: 'crasher', error: 'job stalled more than allowable limit' });
      assert.equal((await queue.get(id))?.state, 'failed');
      assert.deepEqual(ran, [], 'a lost job is not run again');
    } finally {
      await queue.close();
      await dropQueueKeys(url, options.prefix);
    }
  });

  it('repairs an admission cut short by a crash, so the user is not stuck', async () => {
    const url = await ensureRedis();
    // A window of one: the lost job holds its user's only slot, so nothing else of theirs runs until it is repaired.
    const options = { url, prefix: `test-${randomUUID()}`, name: 'q', admissionWindow: 1, ...quick };
    const queue = await BullmqJobQueue.open<Data, Result>(options);
    const redis = new Redis(url);
    try {
      // What a producer that died between admitting a job and adding it to BullMQ leaves behind.
      const lost = { id: randomUUID(), userId: 'alice', data: { label: 'lost' }, priority: 100, enqueuedAt: Date.now() };
      assert.deepEqual(await new FairAdmission(redis, `${options.prefix}:${options.name}`, 1).enqueue([lost]), [0]);
      const after = await queue.enqueue({ userId: 'alice', data: { label: 'after' } });
      assert.equal((await queue.get(lost.id))?.state, 'queued');
      const ran: string[] = [];
      queue.work(async (job) => {
        ran.push(job.data.label);
        return { label: job.data.label, attempt: job.attempt };
      });
      const deadline = Date.now() + 15_000;
      while ((await queue.get(after))?.state !== 'completed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(ran, ['lost', 'after']);
    } finally {
      await redis.quit();
      await queue.close();
      await dropQueueKeys(url, options.prefix);
    }
  });
});
