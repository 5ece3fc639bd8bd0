// The generation worker records a job the queue gave up on (its workers kept dying, so the
// processor never saw it end) as failed in the store, and sends its job-end webhook.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { serveGenerations } from '../../adapters/generation-worker.ts';
import type { GenerationQueue, QueuedGeneration } from '../../adapters/services.ts';
import { openSqliteStore } from '../../adapters/store/sqlite.ts';
import { WebhookPolicy } from '../../adapters/webhooks/address-policy.ts';
import { WebhookSender } from '../../adapters/webhooks/webhook-sender.ts';
import type { GenerationDeps } from '../../pipeline/generate-job.ts';
import type { WorkOptions } from '../../pipeline/ports.ts';

test('records a lost job as failed and sends its webhook', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'atelier-worker-'));
  const store = await openSqliteStore(join(dir, 'atelier.db'));
  const bodies: string[] = [];
  let received!: () => void;
  const delivered = new Promise<void>((resolve) => (received = resolve));
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200).end();
      received();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const webhooks = new WebhookSender(new WebhookPolicy(['127.0.0.1']), { backoffMs: 20, log: () => {} });
  try {
    const { user } = await store.createUser('Ada');
    await store.createJob({ id: 'job-1', userId: user.id, request: { prompt: 'a circle' } });
    let work: WorkOptions<QueuedGeneration> | undefined;
    const queue = { work: (_processor: unknown, options: WorkOptions<QueuedGeneration>) => ((work = options), { close: async () => {} }) };
    serveGenerations(queue as unknown as GenerationQueue, { images: store, history: store } as unknown as GenerationDeps, { concurrency: 1, attempts: 3, webhooks });
    const data = { prompt: 'a circle', webhook: { url: `http://127.0.0.1:${port}/hook`, secret: 'shh' } } as unknown as QueuedGeneration;
    await work!.onLost!({ id: 'job-1', userId: user.id, data, attempt: 2 }, 'job stalled more than allowable limit');
    const job = await store.getJob(user.id, 'job-1');
    assert.equal(job?.state, 'failed');
    assert.equal(job?.error, 'job stalled more than allowable limit');
    await delivered;
    const body = JSON.parse(bodies[0]!) as Record<string, unknown>;
    assert.deepEqual([body.type, body.job_id, body.state, body.error], ['job.failed', 'job-1', 'failed', 'job stalled more than allowable limit']);
  } finally {
    await webhooks.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
