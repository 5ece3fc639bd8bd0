// One suite for every JobQueue adapter. `producer` enqueues, cancels, reads and listens; `consumer`
// runs the jobs. For BullMQ they are two separate connections, as an API node and a worker node
// would be; for the in-process queue they are the same object.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobQueueInputError, PermanentJobError, type JobEvent, type JobProcessor, type JobQueue, type JobState } from '../../../pipeline/ports.ts';
import type { QueueSettings } from '../../../adapters/queue/settings.ts';

export interface Data {
  readonly label: string;
}
export interface Result {
  readonly label: string;
  readonly attempt: number;
}
type Queue = JobQueue<Data, Result>;

export interface QueueHarness {
  readonly producer: Queue;
  readonly consumer: Queue;
  cleanup(): Promise<void>;
}

export type MakeQueue = (settings: Partial<QueueSettings>) => Promise<QueueHarness>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function until(queue: Queue, id: string, state: JobState) {
  return waitFor(`job ${id} to be ${state}`, async () => {
    const info = await queue.get(id);
    return info?.state === state && info;
  });
}

/** Records events per job from now on. */
function record(queue: Queue) {
  const events = new Map<string, JobEvent<Result>[]>();
  queue.subscribe((e) => events.set(e.jobId, [...(events.get(e.jobId) ?? []), e]));
  return (id: string) => events.get(id) ?? [];
}

const echo: JobProcessor<Data, Result> = async (job) => ({ label: job.data.label, attempt: job.attempt });

export function queueConformance(name: string, make: MakeQueue): void {
  describe(`JobQueue conformance: ${name}`, () => {
    const withQueue = (settings: Partial<QueueSettings>, body: (h: QueueHarness) => Promise<void>) => async () => {
      const h = await make({ attempts: 3, backoffMs: 50, retentionMs: 60_000, ...settings });
      try {
        await body(h);
      } finally {
        await h.cleanup();
      }
    };

    it('runs a job: result, attempts, progress and events in order', withQueue({}, async ({ producer, consumer }) => {
      const events = record(producer);
      const seen: { userId: string; attempt: number }[] = [];
      consumer.work(async (job, signal) => {
        seen.push({ userId: job.userId, attempt: job.attempt });
        assert.equal(signal.aborted, false);
        for (let step = 1; step <= 3; step++) job.reportProgress({ step, total: 3 });
        return { label: job.data.label, attempt: job.attempt };
      });
      const id = await producer.enqueue({ userId: 'alice', data: { label: 'one' } });
      const info = await until(producer, id, 'completed');
      assert.deepEqual(info.result, { label: 'one', attempt: 1 });
      assert.equal(info.attempts, 1);
      assert.equal(info.userId, 'alice');
      assert.deepEqual(info.data, { label: 'one' });
      assert.deepEqual(info.progress, { step: 3, total: 3 });
      assert.equal(info.position, undefined);
      assert.ok(info.enqueuedAt <= info.startedAt! && info.startedAt! <= info.finishedAt!);
      assert.deepEqual(seen, [{ userId: 'alice', attempt: 1 }]);
      await waitFor('the completed event', () => events(id).some((e) => e.type === 'completed'));
      assert.deepEqual(events(id).map((e) => (e.type === 'progress' ? `progress ${e.progress.step}/${e.progress.total}` : e.type)),
        ['active', 'progress 1/3', 'progress 2/3', 'progress 3/3', 'completed']);
    }));

    it('enqueues a batch: ids in order, every job runs', withQueue({}, async ({ producer, consumer }) => {
      consumer.work(echo, { concurrency: 3 });
      const ids = await producer.enqueueBatch(['a', 'b', 'c', 'd'].map((label) => ({ userId: `u-${label}`, data: { label } })));
      assert.equal(new Set(ids).size, 4);
      for (const [i, id] of ids.entries()) assert.equal((await until(producer, id, 'completed')).result?.label, 'abcd'[i]);
    }));

    it("takes users in turn: one user's batch of 500 does not starve the others", withQueue({}, async ({ producer, consumer }) => {
      const a = await producer.enqueueBatch(Array.from({ length: 500 }, (_, i) => ({ userId: 'heavy', data: { label: `A${i + 1}` } })));
      const b = await producer.enqueueBatch([{ userId: 'light', data: { label: 'B1' } }, { userId: 'light', data: { label: 'B2' } }]);
      const c = await producer.enqueue({ userId: 'other', data: { label: 'C1' } });
      // Positions before anything runs: the heavy user gets one turn per round.
      const position = async (id: string) => (await producer.get(id))?.position;
      assert.deepEqual(await Promise.all([a[0]!, b[0]!, c, a[1]!, b[1]!, a[2]!, a[499]!].map(position)), [0, 1, 2, 3, 4, 5, 502]);
      const order: string[] = [];
      consumer.work(async (job) => {
        order.push(job.data.label);
        return { label: job.data.label, attempt: job.attempt };
      });
      await until(producer, a[499]!, 'completed');
      assert.deepEqual(order.slice(0, 7), ['A1', 'B1', 'C1', 'A2', 'B2', 'A3', 'A4']);
      assert.equal(order.length, 503);
    }));

    it('lets a newcomer in within a turn while a batch is already running', withQueue({}, async ({ producer, consumer }) => {
      const order: string[] = [];
      consumer.work(async (job) => {
        order.push(job.data.label);
        await sleep(5);
        return { label: job.data.label, attempt: job.attempt };
      });
      const a = await producer.enqueueBatch(Array.from({ length: 40 }, (_, i) => ({ userId: 'heavy', data: { label: `A${i + 1}` } })));
      await waitFor('the batch to start', () => order.length >= 3);
      const b = await producer.enqueue({ userId: 'light', data: { label: 'B1' } });
      const startedBefore = order.length;
      await until(producer, b, 'completed');
      // Ahead of B1: the heavy user's one admitted job, and at most one job caught mid-start.
      assert.ok(order.indexOf('B1') <= startedBefore + 2, `B1 started at ${order.indexOf('B1')}, enqueued after ${startedBefore} starts`);
      await until(producer, a[39]!, 'completed');
    }));

    it('alternates two busy users, each in their own order', withQueue({ admissionWindow: 2 }, async ({ producer, consumer }) => {
      await producer.enqueueBatch(Array.from({ length: 5 }, (_, i) => ({ userId: 'ann', data: { label: `A${i + 1}` } })));
      const last = (await producer.enqueueBatch(Array.from({ length: 5 }, (_, i) => ({ userId: 'ben', data: { label: `B${i + 1}` } })))).at(-1)!;
      const order: string[] = [];
      consumer.work(async (job) => {
        order.push(job.data.label);
        return { label: job.data.label, attempt: job.attempt };
      });
      await until(producer, last, 'completed');
      assert.deepEqual(order, ['A1', 'B1', 'A2', 'B2', 'A3', 'B3', 'A4', 'B4', 'A5', 'B5']);
    }));

    it("runs a lone user's jobs on every worker at once", withQueue({}, async ({ producer, consumer }) => {
      let running = 0;
      let most = 0;
      consumer.work(async (job) => {
        most = Math.max(most, ++running);
        // Hold each job until four run together (or give up): only a window wider than one lets them.
        const deadline = Date.now() + 3000;
        while (most < 4 && Date.now() < deadline) await sleep(5);
        running--;
        return { label: job.data.label, attempt: job.attempt };
      }, { concurrency: 4 });
      const ids = await producer.enqueueBatch(Array.from({ length: 8 }, (_, i) => ({ userId: 'alone', data: { label: `A${i}` } })));
      await Promise.all(ids.map((id) => until(producer, id, 'completed')));
      assert.equal(most, 4);
    }));

    it('starts higher priority (lower number) first, and reports positions', withQueue({}, async ({ producer, consumer }) => {
      const ids = [];
      for (const [user, priority] of [['u1', 100], ['u2', 10], ['u3', 500], ['u4', 10]] as const) {
        ids.push(await producer.enqueue({ userId: user, data: { label: user }, priority }));
      }
      const infos = await Promise.all(ids.map((id) => producer.get(id)));
      assert.deepEqual(infos.map((i) => [i?.state, i?.priority, i?.position]), [['queued', 100, 2], ['queued', 10, 0], ['queued', 500, 3], ['queued', 10, 1]]);
      const order: string[] = [];
      consumer.work(async (job) => {
        order.push(job.data.label);
        return { label: job.data.label, attempt: job.attempt };
      });
      await Promise.all(ids.map((id) => until(producer, id, 'completed')));
      assert.deepEqual(order, ['u2', 'u4', 'u1', 'u3']);
    }));

    it('cancels queued jobs: they never run, and their user keeps their turn', withQueue({}, async ({ producer, consumer }) => {
      const events = record(producer);
      const [first, second, third] = await producer.enqueueBatch(['A1', 'A2', 'A3'].map((label) => ({ userId: 'alice', data: { label } })));
      assert.equal(await producer.cancel(first!, 'changed my mind'), true); // admitted to the shared queue
      assert.equal(await producer.cancel(second!), true); // still in alice's backlog
      const cancelled = await producer.get(first!);
      assert.equal(cancelled?.state, 'cancelled');
      assert.equal(cancelled?.error, 'changed my mind');
      assert.equal((await producer.get(second!))?.state, 'cancelled');
      assert.equal(await producer.cancel(first!), false);
      const ran: string[] = [];
      consumer.work(async (job) => {
        ran.push(job.data.label);
        return { label: job.data.label, attempt: job.attempt };
      });
      await until(producer, third!, 'completed');
      await sleep(100);
      assert.deepEqual(ran, ['A3']);
      await waitFor('cancelled events', () => events(first!).length > 0 && events(second!).length > 0);
      assert.deepEqual(events(first!), [{ type: 'cancelled', jobId: first, reason: 'changed my mind' }]);
    }));

    it('cancels a running job through its AbortSignal, at the next step and without retry', withQueue({}, async ({ producer, consumer }) => {
      const events = record(producer);
      let reason: unknown;
      consumer.work(async (job, signal) => {
        for (let step = 1; ; step++) {
          if (signal.aborted) {
            reason = signal.reason;
            throw new Error('stopped at step ' + step);
          }
          job.reportProgress({ step, total: 1000 });
          await sleep(10);
        }
      });
      const id = await producer.enqueue({ userId: 'alice', data: { label: 'long' } });
      await waitFor('progress', async () => ((await producer.get(id))?.progress?.step ?? 0) >= 2);
      assert.equal((await producer.get(id))?.state, 'running');
      assert.equal(await producer.cancel(id, 'user pressed stop'), true);
      const info = await until(producer, id, 'cancelled');
      assert.equal(info.attempts, 1);
      assert.equal(info.error, 'user pressed stop');
      assert.equal(reason, 'user pressed stop');
      assert.equal(await producer.cancel(id), false);
      await waitFor('the cancelled event', () => events(id).some((e) => e.type === 'cancelled'));
      assert.ok(!events(id).some((e) => e.type === 'failed' || e.type === 'completed'));
    }));

    it('retries a transient failure with exponential backoff', withQueue({ backoffMs: 80 }, async ({ producer, consumer }) => {
      const starts: number[] = [];
      consumer.work(async (job) => {
        starts.push(Date.now());
        if (job.attempt < 3) throw new Error(`backend busy (try ${job.attempt})`);
        return { label: job.data.label, attempt: job.attempt };
      });
      const id = await producer.enqueue({ userId: 'alice', data: { label: 'flaky' } });
      await waitFor('a retry to be pending', async () => (await producer.get(id))?.error === 'backend busy (try 1)');
      const info = await until(producer, id, 'completed');
      assert.deepEqual(info.result, { label: 'flaky', attempt: 3 });
      assert.equal(info.attempts, 3);
      assert.equal(info.error, undefined);
      assert.ok(starts[1]! - starts[0]! >= 70, `first retry after ${starts[1]! - starts[0]!} ms`);
      assert.ok(starts[2]! - starts[1]! >= 150, `second retry after ${starts[2]! - starts[1]!} ms`);
    }));

    it('fails for good on PermanentJobError, with the reason, without retry', withQueue({}, async ({ producer, consumer }) => {
      const events = record(producer);
      let calls = 0;
      consumer.work(async () => {
        calls++;
        throw new PermanentJobError('prompt: at most 77 tokens (got 120)');
      });
      const id = await producer.enqueue({ userId: 'alice', data: { label: 'bad' } });
      const info = await until(producer, id, 'failed');
      assert.equal(info.error, 'prompt: at most 77 tokens (got 120)');
      assert.equal(info.attempts, 1);
      await waitFor('the failed event', () => events(id).some((e) => e.type === 'failed'));
      assert.deepEqual(events(id).at(-1), { type: 'failed', jobId: id, error: 'prompt: at most 77 tokens (got 120)' });
      await sleep(150);
      assert.equal(calls, 1);
    }));

    it('fails after the last attempt when every try fails', withQueue({ attempts: 2, backoffMs: 20 }, async ({ producer, consumer }) => {
      consumer.work(async () => {
        throw new Error('backend down');
      });
      const id = await producer.enqueue({ userId: 'alice', data: { label: 'doomed' } });
      const info = await until(producer, id, 'failed');
      assert.equal(info.attempts, 2);
      assert.equal(info.error, 'backend down');
    }));

    it('forgets finished jobs after the retention time', withQueue({ retentionMs: 1000 }, async ({ producer, consumer }) => {
      consumer.work(echo);
      const done = await producer.enqueue({ userId: 'alice', data: { label: 'old' } });
      const [queued] = await producer.enqueueBatch([{ userId: 'bob', data: { label: 'x' } }, { userId: 'bob', data: { label: 'y' } }]);
      await until(producer, done, 'completed');
      await until(producer, queued!, 'completed');
      await sleep(1100);
      assert.equal(await producer.get(done), undefined);
      assert.equal(await producer.get(queued!), undefined);
      assert.equal(await producer.cancel(done), false);
    }));

    it('refuses bad input by field and enqueues nothing of a bad batch', withQueue({}, async ({ producer, consumer }) => {
      const refused = async (jobs: unknown, field: string) => {
        await assert.rejects(producer.enqueueBatch(jobs as never), (err: unknown) => err instanceof JobQueueInputError && err.field === field);
      };
      await refused([{ userId: 'ok', data: { label: 'fine' } }, { userId: '', data: { label: 'no user' } }], 'jobs[1].userId');
      await refused([{ userId: 'ok', data: { label: 'x' }, priority: 0 }], 'priority');
      await refused([{ userId: 'ok', data: { label: 'x' }, priority: 1.5 }], 'priority');
      await refused([{ userId: 'a:b', data: { label: 'x' } }], 'userId');
      await refused([], 'jobs');
      await assert.rejects(producer.enqueue({ userId: 'ok', data: undefined as never }), JobQueueInputError);
      const ran: string[] = [];
      consumer.work(async (job) => {
        ran.push(job.data.label);
        return { label: job.data.label, attempt: job.attempt };
      });
      await until(producer, await producer.enqueue({ userId: 'ok', data: { label: 'sentinel' } }), 'completed');
      assert.deepEqual(ran, ['sentinel']);
    }));

    it('answers unknown ids with undefined and false', withQueue({}, async ({ producer }) => {
      assert.equal(await producer.get('3b5e1a52-0000-4000-8000-000000000000'), undefined);
      assert.equal(await producer.cancel('3b5e1a52-0000-4000-8000-000000000000'), false);
    }));
  });
}
