// The embedded service end to end on the bundled model, through the HTTP API only: queue a job,
// follow it over SSE, get a signed webhook, read the images and their files, rate them, and see
// the profile change at once and the next job use it.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from '../../adapters/wire.ts';
import { eventually, startHarness, type Harness } from './harness.ts';

let h: Harness;
let hooks: Server;
let hookUrl: string;
const received: { body: string; signature: string; timestamp: string }[] = [];
const SECRET = 'feedback-loop-secret';

before(async () => {
  h = await startHarness({ generate: true, webhookAllow: ['127.0.0.1'] });
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ body, signature: String(req.headers[SIGNATURE_HEADER]), timestamp: String(req.headers[TIMESTAMP_HEADER]) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
});
after(async () => {
  await h.close();
  await new Promise((r) => hooks.close(r));
});

function sse(body: string): { event: string; data: Record<string, unknown> }[] {
  return body.split('\n\n').filter((b) => b.startsWith('event:')).map((block) => {
    const [event, data] = block.split('\n');
    return { event: event!.slice('event: '.length), data: JSON.parse(data!.slice('data: '.length)) };
  });
}

it('generates, streams progress, signs its webhook, takes ratings and personalizes the next job', async () => {
  const ada = await h.createUser('ada');
  const get = async (url: string) => h.app.inject({ method: 'GET', url, headers: ada.auth });
  const post = async (url: string, payload: object) => h.app.inject({ method: 'POST', url, headers: ada.auth, payload });

  // 1. Queue a job and follow it: the event stream ends with the job.
  const started = Date.now();
  const accepted = await post('/v1/generations', {
    prompt: 'a red striped circle, on a teal background', n: 2, candidates: 4, seed: 7, steps: 8, webhook_url: hookUrl, webhook_secret: SECRET,
  });
  assert.equal(accepted.statusCode, 202, accepted.body);
  const jobId = accepted.json().job_id as string;
  const stream = await get(`/v1/jobs/${jobId}/events`);
  assert.equal(stream.statusCode, 200);
  assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
  const events = sse(stream.body);
  const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.step);
  assert.deepEqual(progress, progress.slice().sort((a, b) => Number(a) - Number(b)), 'progress in order');
  assert.equal(progress.at(-1), 8, 'up to the last step');
  const done = events.at(-1)!;
  assert.equal(done.event, 'done');
  assert.equal((done.data.images as unknown[]).length, 2);

  const job = (await get(`/v1/jobs/${jobId}`)).json();
  assert.equal(job.state, 'completed');
  assert.equal(job.images.length, 2);
  assert.ok(Date.now() - started < 20_000, 'a small job is quick');

  // 2. The webhook arrived, signed with the job's secret.
  const hook = await eventually('the webhook', async () => received[0]);
  assert.equal(hook.signature, signWebhook(SECRET, hook.timestamp, hook.body));
  const payload = JSON.parse(hook.body);
  assert.equal(payload.type, 'job.completed');
  assert.equal(payload.job_id, jobId);
  assert.deepEqual(payload.images.map((i: { id: string }) => i.id), job.images.map((i: { id: string }) => i.id));

  // 3. The images: why each was chosen, and their files in both sizes and formats.
  const [first, second] = job.images as { id: string }[];
  const detail = (await get(`/v1/images/${first!.id}`)).json();
  assert.match(detail.explanation, /Kept as #1 of 4 candidates/);
  assert.equal(detail.scores.of, 4);
  assert.equal(detail.width, 32);
  const magic: Record<string, (b: Buffer) => boolean> = {
    png: (b) => b.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])),
    webp: (b) => b.subarray(0, 4).toString() === 'RIFF' && b.subarray(8, 12).toString() === 'WEBP',
  };
  for (const size of ['thumb', 'full']) {
    for (const format of ['png', 'webp']) {
      const file = await get(`/v1/images/${first!.id}/file?size=${size}&format=${format}`);
      assert.equal(file.statusCode, 200);
      assert.equal(file.headers['content-type'], `image/${format}`);
      assert.ok(magic[format]!(file.rawPayload), `${size} ${format}`);
    }
  }

  // 4. Feedback updates the profile at once.
  const before = (await get('/v1/profile')).json();
  assert.equal(before.evidence, 0);
  const liked = await post(`/v1/images/${first!.id}/rating`, { value: 'like', comment: 'love the teal background' });
  assert.equal(liked.statusCode, 200, liked.body);
  assert.equal(liked.json().profile.evidence, 1);
  assert.equal((await post(`/v1/images/${second!.id}/rating`, { value: 'dislike' })).json().profile.evidence, 2);
  const chosen = await post('/v1/choices', { winner: first!.id, loser: second!.id });
  assert.equal(chosen.statusCode, 200, chosen.body);
  const profile = (await get('/v1/profile')).json();
  assert.equal(profile.evidence, 3);
  assert.ok(profile.liked.length > 0, 'the comment named a liked attribute');
  const liked1 = (await get('/v1/images?rating=like')).json();
  assert.deepEqual(liked1.images.map((i: { id: string }) => i.id), [first!.id]);
  assert.equal((await get('/v1/images?text=STRIPED')).json().images.length, 2);

  // 5. The next job reads the new profile.
  const next = await post('/v1/generations', { prompt: 'a blue square', n: 1, seed: 3, steps: 4 });
  const nextId = next.json().job_id as string;
  const finished = await eventually('the second job', async () => {
    const j = (await get(`/v1/jobs/${nextId}`)).json();
    return j.state === 'completed' ? j : undefined;
  });
  const used = (await get(`/v1/images/${finished.images[0].id}`)).json();
  assert.equal(used.profile.evidence, 3, 'the job used the profile the ratings built');

  // 6. Editing and resetting the profile.
  const edited = await h.app.inject({ method: 'PUT', url: '/v1/profile', headers: ada.auth, payload: { strength: 0.5 } });
  assert.equal(edited.json().strength, 0.5);
  const reset = await h.app.inject({ method: 'DELETE', url: '/v1/profile', headers: ada.auth });
  assert.equal(reset.json().evidence, 0);
  const pair = (await get('/v1/onboarding/next-pair')).json();
  assert.ok(pair.a === null || [first!.id, second!.id, finished.images[0].id].includes(pair.a.id));

  // 7. The metrics saw it all.
  const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(metrics, /^atelier_images_generated_total 3$/m);
  assert.match(metrics, /^atelier_ratings_total\{kind="rating"\} 2$/m);
  assert.match(metrics, /^atelier_ratings_total\{kind="choice"\} 1$/m);
  assert.match(metrics, /^atelier_job_latency_seconds_count\{state="completed"\} 2$/m);
  assert.match(metrics, /^atelier_queue_depth 0$/m);
});

it('cancels a queued job, records it, and reports it by webhook', async () => {
  const bob = await h.createUser('bob');
  received.length = 0;
  // A long job first, so the second waits behind it.
  const slow = await h.app.inject({ method: 'POST', url: '/v1/generations', headers: bob.auth, payload: { prompt: 'a circle', n: 8, candidates: 32, steps: 50 } });
  const waiting = await h.app.inject({ method: 'POST', url: '/v1/generations', headers: bob.auth, payload: { prompt: 'a square', n: 1, webhook_url: hookUrl, webhook_secret: SECRET } });
  const id = waiting.json().job_id as string;
  assert.equal((await h.app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: bob.auth })).json().position, 0);
  const cancelled = await h.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}`, headers: bob.auth });
  assert.equal(cancelled.statusCode, 200, cancelled.body);
  assert.deepEqual(cancelled.json(), { id, state: 'cancelled' });
  assert.equal((await h.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}`, headers: bob.auth })).statusCode, 409);
  const hook = await eventually('the cancel webhook', async () => received.find((r) => JSON.parse(r.body).job_id === id));
  assert.equal(JSON.parse(hook.body).type, 'job.cancelled');
  assert.equal((await h.services.store.getJob(bob.id, id))?.state, 'cancelled');
  // The running one stops at its next step.
  const slowId = slow.json().job_id as string;
  assert.equal((await h.app.inject({ method: 'DELETE', url: `/v1/jobs/${slowId}`, headers: bob.auth })).statusCode, 200);
  await eventually('the running job to stop', async () => ((await h.services.queue.get(slowId))?.state === 'cancelled' ? true : undefined));
});

it('builds an onboarding pool from the designed set: every style value shown, then pairs proposed from it', async () => {
  const cy = await h.createUser('cy');
  const get = async (url: string) => h.app.inject({ method: 'GET', url, headers: cy.auth });
  const set = await get('/v1/onboarding/set?count=16&seed=11');
  assert.equal(set.statusCode, 200, set.body);
  const { items } = set.json() as { items: { prompt: string; n: number; seed: number; personalization: number }[] };
  assert.equal(items.length, 16);
  assert.deepEqual((await get('/v1/onboarding/set?count=16&seed=11')).json(), { items }, 'a seed reproduces its set');
  const service = (await get('/v1/onboarding/set')).json();
  assert.equal(service.items.length, 16);
  assert.notDeepEqual(service, { items }, 'another seed, another set');
  const dee = await h.createUser('dee');
  assert.deepEqual((await h.app.inject({ method: 'GET', url: '/v1/onboarding/set', headers: dee.auth })).json(), service, "without a seed, the service's set: the same for everyone");
  assert.ok(items.every((it) => it.n === 1 && it.personalization === 0));
  for (const value of ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'plain', 'striped', 'checkered', 'outlined', 'white', 'charcoal', 'sand', 'teal', 'even light', 'from the left', 'from above', 'spotlight']) {
    assert.ok(items.some((it) => it.prompt.includes(value)), value);
  }
  assert.equal((await get('/v1/onboarding/set?count=1')).statusCode, 400);
  // A client queues it as is, then asks which two to compare.
  const batch = await h.app.inject({ method: 'POST', url: '/v1/generations/batch', headers: cy.auth, payload: { items: items.map((it) => ({ ...it, steps: 4 })) } });
  assert.equal(batch.statusCode, 202, batch.body);
  const ids = batch.json().job_ids as string[];
  await eventually('the onboarding pool', async () => {
    const states = await Promise.all(ids.map(async (id) => (await get(`/v1/jobs/${id}`)).json().state));
    return states.every((s) => s === 'completed') ? true : undefined;
  }, 60_000);
  const pool = new Set(((await get('/v1/images?limit=100')).json().images as { id: string }[]).map((i) => i.id));
  assert.equal(pool.size, 16);
  const pair = (await get('/v1/onboarding/next-pair')).json();
  assert.ok(pool.has(pair.a.id) && pool.has(pair.b.id) && pair.a.id !== pair.b.id);
});
