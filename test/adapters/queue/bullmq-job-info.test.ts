// How a BullMQ job reads through the port when the job finishes between the two reads `get`
// makes (the job's hash, then its state): a race a live queue shows only now and then, so the
// job here is a stand-in with just the fields jobInfo reads.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Job } from 'bullmq';
import { jobInfo, type Envelope } from '../../../adapters/queue/bullmq-job-info.ts';
import { CANCELLED_PREFIX } from '../../../adapters/queue/settings.ts';

const envelope: Envelope = { userId: 'alice', data: { label: 'long' }, priority: 0, enqueuedAt: 1000 };
const job = (fields: Record<string, unknown>, state: string) =>
  ({ id: 'job-1', data: envelope, progress: { step: 3, total: 1000 }, attemptsStarted: 1, processedOn: 1100, getState: async () => state, ...fields }) as unknown as Job<Envelope>;
const position = async () => 0;

it('reads a job again when its hash was taken just before it finished', async () => {
  // The hash still says running (no finishedOn, no reason); the state, read after, says failed.
  const stale = job({}, 'failed');
  const finished = job({ finishedOn: Date.now(), failedReason: `${CANCELLED_PREFIX}user pressed stop` }, 'failed');
  const info = await jobInfo(stale, 60_000, position, async () => finished);
  assert.equal(info?.state, 'cancelled');
  assert.equal(info?.attempts, 1);
  assert.equal(info?.error, 'user pressed stop');
  // Without a way to read it again, such a snapshot reads as expired (what get() used to fall back from).
  assert.equal(await jobInfo(stale, 60_000, position), undefined);
});

it('still hides a finished job past its retention', async () => {
  const old = job({ finishedOn: Date.now() - 120_000, failedReason: 'boom' }, 'failed');
  assert.equal(await jobInfo(old, 60_000, position, async () => old), undefined);
  assert.equal((await jobInfo(job({}, 'active'), 60_000, position))?.state, 'running');
});
