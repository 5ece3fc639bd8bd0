// Property: whatever arrives, the API answers below 500, stays up, and what it stored stays
// intact. 10,000 generated requests across every route (well-formed, wrong types, unknown fields,
// random text, traversal, other users' ids, every kind of key), through app.inject on the
// embedded app. No worker runs: valid generations are queued, not generated.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { StoredImage } from '../../pipeline/ports.ts';
import { ADMIN_KEY, startHarness, type Harness } from './harness.ts';

const RUNS = 10_000;

let h: Harness;
let ada: Awaited<ReturnType<Harness['createUser']>>;
let bob: Awaited<ReturnType<Harness['createUser']>>;
let seeded: StoredImage[];
let queuedJobs: string[];

before(async () => {
  h = await startHarness();
  ada = await h.createUser('ada');
  bob = await h.createUser('bob');
  seeded = [...(await h.seedImages(ada.id, 3)), ...(await h.seedImages(bob.id, 2))];
  queuedJobs = [];
  for (let i = 0; i < 3; i++) queuedJobs.push((await h.app.inject({ method: 'POST', url: '/v1/generations', headers: ada.auth, payload: { prompt: 'a circle', n: 1 } })).json().job_id);
});
after(async () => h.close());

const junk = fc.oneof(
  fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 2 }),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: junk });

const webhook = fc.oneof(
  fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([ip, port]) => `http://${ip}:${port}/hook`),
  fc.constantFrom('http://127.0.0.1:9/x', 'https://[::1]/x', 'ftp://1.2.3.4/', 'javascript:alert(1)', 'http://u:p@1.2.3.4/', 'not a url', 'http://[fe80::1]/'),
  fc.ipV6().map((ip) => `https://[${ip}]/`),
);

const validGeneration = fc.record({
  prompt: fc.oneof(fc.constantFrom('a red circle', 'a blue striped square, on a teal background'), fc.string({ maxLength: 30 })),
  n: fc.integer({ min: 1, max: 4 }),
  candidates: fc.constant(4),
  seed: fc.integer({ min: 0, max: 2 ** 32 - 33 }),
  steps: fc.integer({ min: 1, max: 150 }),
  guidance: fc.double({ min: 0, max: 30, noNaN: true }),
  personalization: fc.double({ min: 0, max: 1, noNaN: true }),
}, { requiredKeys: ['prompt', 'n'] });

const anyGeneration = fc.record({
  prompt: maybe(fc.oneof(fc.constantFrom('a red circle', 'a blue striped square, on a teal background'), fc.string({ maxLength: 300 }))),
  negative_prompt: maybe(fc.string({ maxLength: 50 })),
  n: maybe(fc.integer({ min: -1, max: 10 })),
  candidates: maybe(fc.integer({ min: -1, max: 40 })),
  seed: maybe(fc.oneof(fc.integer({ min: -5, max: 2 ** 32 + 5 }), fc.constant(2 ** 53))),
  steps: maybe(fc.integer({ min: -1, max: 200 })),
  guidance: maybe(fc.double({ min: -5, max: 50 })),
  personalization: maybe(fc.double({ min: -1, max: 2 })),
  webhook_url: maybe(webhook),
  webhook_secret: maybe(fc.string({ minLength: 10, maxLength: 40 })),
  [fc.sample(fc.constantFrom('extra', 'negativePrompt', '__proto__', 'constructor'), 1)[0]!]: junk,
}, { requiredKeys: [] });

const generation = fc.oneof({ weight: 1, arbitrary: validGeneration }, { weight: 2, arbitrary: anyGeneration });

const attribute = fc.record({ attribute: maybe(fc.string({ maxLength: 70 })), weight: maybe(fc.double({ min: -1, max: 12 })) }, { requiredKeys: [] });

function ids(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...seeded.map((s) => s.id), ...seeded.map((s) => s.jobId)),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.string({ unit: 'grapheme', maxLength: 10 }).map(encodeURIComponent),
    fc.constantFrom('..', '%2e%2e', '..%2F..%2Fetc%2Fpasswd', '%2F', '%00', 'a%5Cb', '.', '%252e%252e', 'x'.repeat(129)),
  );
}

interface Req {
  method: string;
  url: string;
  body?: unknown;
  raw?: string;
  auth: string;
  contentType?: string;
}

function requests(): fc.Arbitrary<Req> {
  const id = ids();
  const auth = fc.constantFrom('ada', 'ada', 'ada', 'ada', 'ada', 'bob', 'bob', 'admin', 'none', 'garbage');
  const query = fc.dictionary(fc.constantFrom('limit', 'cursor', 'rating', 'text', 'size', 'format', 'x'), fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('1', '20', '100', '0', 'like', '5', 'thumb', 'full', 'png', 'webp', '123456')), { maxKeys: 3 })
    .map((q) => new URLSearchParams(q).toString());
  const routes: fc.Arbitrary<Omit<Req, 'auth'>>[] = [
    generation.map((body) => ({ method: 'POST', url: '/v1/generations', body })),
    fc.array(generation, { maxLength: 3 }).map((items) => ({ method: 'POST', url: '/v1/generations/batch', body: { items } })),
    fc.tuple(fc.constantFrom('GET', 'DELETE'), fc.oneof(id, fc.constantFrom(...queuedJobs))).map(([method, j]) => ({ method, url: `/v1/jobs/${j}` })),
    // Only ids that are not live jobs: an event stream of a queued job stays open, by design.
    id.map((j) => ({ method: 'GET', url: `/v1/jobs/${j}/events` })),
    query.map((q) => ({ method: 'GET', url: `/v1/images?${q}` })),
    id.map((i) => ({ method: 'GET', url: `/v1/images/${i}` })),
    fc.tuple(id, query).map(([i, q]) => ({ method: 'GET', url: `/v1/images/${i}/file?${q}` })),
    fc.tuple(id, fc.record({ value: maybe(fc.constantFrom('like', 'dislike', 1, 2, 3, 4, 5, 0, 6)), comment: maybe(fc.string({ maxLength: 80 })) }, { requiredKeys: [] }))
      .map(([i, body]) => ({ method: 'POST', url: `/v1/images/${i}/rating`, body })),
    fc.record({ winner: maybe(id), loser: maybe(id) }, { requiredKeys: [] }).map((body) => ({ method: 'POST', url: '/v1/choices', body })),
    fc.constant({ method: 'GET', url: '/v1/onboarding/next-pair' }),
    fc.record({ count: fc.oneof(fc.integer({ min: -3, max: 70 }), fc.string({ maxLength: 5 })), seed: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 5 })) }, { requiredKeys: [] })
      .map((q) => ({ method: 'GET', url: `/v1/onboarding/set?${new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)])).toString()}` })),
    fc.constant({ method: 'GET', url: '/v1/profile' }),
    fc.record({ liked: maybe(fc.array(attribute, { maxLength: 4 })), disliked: maybe(fc.array(attribute, { maxLength: 4 })), strength: maybe(fc.double({ min: -1, max: 2 })) }, { requiredKeys: [] })
      .map((body) => ({ method: 'PUT', url: '/v1/profile', body })),
    fc.constant({ method: 'DELETE', url: '/v1/profile' }),
    fc.record({ name: maybe(fc.string({ maxLength: 120 })) }, { requiredKeys: [] }).map((body) => ({ method: 'POST', url: '/v1/users', body })),
    fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), fc.constantFrom('/v1/generations', '/v1/images', '/v1/profile', '/v1/users', '/v1/choices', '/healthz', '/docs/json', '/v1', '/'), fc.option(junk))
      .map(([method, url, body]) => ({ method, url, ...(body !== null && { body }) })),
  ];
  const shaped = fc.tuple(fc.oneof(...routes), auth).map(([r, a]) => ({ ...r, auth: a }));
  // Some bodies arrive broken: random text, cut JSON, or the wrong content type.
  return fc.tuple(shaped, fc.nat({ max: 19 }), fc.string({ maxLength: 40 }), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'image/png'))
    .map(([r, dice, text, contentType]) => {
      if (r.method === 'GET' || r.method === 'HEAD' || r.body === undefined) return r;
      if (dice === 0) return { ...r, raw: text };
      if (dice === 1) return { ...r, raw: JSON.stringify(r.body).slice(0, -1) };
      if (dice === 2) return { ...r, contentType };
      return r;
    });
}

const KEYS: Record<string, () => string | undefined> = {
  ada: () => `Bearer ${ada.key}`, bob: () => `Bearer ${bob.key}`, admin: () => `Bearer ${ADMIN_KEY}`, none: () => undefined, garbage: () => 'Bearer \u00e9\u00e9',
};

async function snapshot(image: StoredImage): Promise<string> {
  const stored = await h.services.store.getImage(image.userId, image.id);
  assert.ok(stored, `image ${image.id} still there`);
  const full = await h.services.files.read(stored.file.sha256, 'full');
  const { rating: _rating, ...rest } = stored;
  return JSON.stringify(rest) + createHash('sha256').update(full).digest('hex');
}

it(`answers ${RUNS} generated requests without a 5xx, stays up, and keeps its data intact`, { timeout: 180_000 }, async () => {
  const before = await Promise.all(seeded.map(snapshot));
  const statuses = new Map<number, number>();
  const started = Date.now();
  await fc.assert(fc.asyncProperty(requests(), async (r) => {
    const authorization = KEYS[r.auth]!();
    const res = await h.app.inject({
      method: r.method as 'GET', url: r.url,
      headers: { ...(authorization && { authorization }), ...((r.raw !== undefined || r.body !== undefined) && { 'content-type': r.contentType ?? 'application/json' }) },
      ...(r.raw !== undefined ? { payload: r.raw } : r.body !== undefined ? { payload: JSON.stringify(r.body) } : {}),
    });
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    if (res.statusCode >= 500) throw new Error(`${r.method} ${r.url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
  }), { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20260801) });
  const seconds = (Date.now() - started) / 1000;
  console.log(`${RUNS} requests in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  assert.ok([...statuses.keys()].some((s) => s < 300) && [...statuses.keys()].some((s) => s >= 400), 'both answers and refusals were exercised');

  // Alive, and ready.
  assert.equal((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  assert.equal((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  // The seeded images and their files are untouched (ratings may have changed, as asked).
  assert.deepEqual(await Promise.all(seeded.map(snapshot)), before);
  for (const user of [ada, bob]) {
    const mine = new Set(seeded.filter((s) => s.userId === user.id).map((s) => s.id));
    const { images } = await h.services.store.listImages(user.id, { limit: 100 });
    assert.deepEqual(new Set(images.map((i) => i.id)), mine, 'no image appeared or moved between users');
    for (const e of await h.services.store.history(user.id)) {
      for (const ref of e.kind === 'rating' ? [e.imageId] : e.kind === 'choice' ? [e.winner, e.loser] : []) assert.ok(mine.has(ref), `${user.id}'s history names only their images`);
    }
  }
  // The database itself is sound, and nothing was written outside DATA_DIR's own layout.
  const db = new Database(join(h.dataDir, 'atelier.db'), { readonly: true });
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(db.pragma('foreign_key_check'), []);
  } finally {
    db.close();
  }
  const files = (await readdir(h.dataDir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => relative(h.dataDir, join(d.parentPath, d.name)));
  for (const f of files) assert.match(f, /^(atelier\.db(-wal|-shm)?|images\/[0-9a-f]{2}\/[0-9a-f]{62}\.(png|thumb\.webp))$/, f);
});
