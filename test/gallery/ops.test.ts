// What operators rely on: health and readiness, Prometheus metrics, the OpenAPI document at
// /docs, rate limits per key, 503 under pressure, and 5xx answers that reveal nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './harness.ts';

describe('health, metrics and docs', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it('answers /healthz and /readyz with the store and queue checked', async () => {
    const health = await h.app.inject({ method: 'GET', url: '/healthz' });
    assert.deepEqual([health.statusCode, health.json()], [200, { status: 'ok' }]);
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    assert.deepEqual([ready.statusCode, ready.json()], [200, { status: 'ready', checks: { store: 'ok', queue: 'ok' } }]);
  });

  it('serves Prometheus metrics: queue depth, job latency, images generated, ratings', async () => {
    const user = await h.createUser();
    await h.app.inject({ method: 'POST', url: '/v1/generations', headers: user.auth, payload: { prompt: 'a circle', n: 1 } });
    await h.app.inject({ method: 'POST', url: '/v1/generations/batch', headers: user.auth, payload: { items: [{ prompt: 'a', n: 1 }, { prompt: 'b', n: 2 }] } });
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    for (const name of ['atelier_queue_depth 3', 'atelier_jobs_running 0', 'atelier_jobs_enqueued_total{route="single"} 1', 'atelier_jobs_enqueued_total{route="batch"} 2',
      '# TYPE atelier_job_latency_seconds histogram', '# TYPE atelier_images_generated_total counter', '# TYPE atelier_ratings_total counter', 'atelier_process_resident_memory_bytes']) {
      assert.ok(res.body.includes(name), name);
    }
  });

  it('publishes an OpenAPI document listing every route, with bearer auth, and the docs page', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json();
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.components.securitySchemes.bearerAuth.scheme, 'bearer');
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    for (const route of [
      'POST /v1/generations', 'POST /v1/generations/batch', 'GET /v1/jobs/{id}', 'DELETE /v1/jobs/{id}', 'GET /v1/jobs/{id}/events',
      'GET /v1/images', 'GET /v1/images/{id}', 'GET /v1/images/{id}/file', 'POST /v1/images/{id}/rating', 'POST /v1/choices',
      'GET /v1/onboarding/next-pair', 'GET /v1/onboarding/set', 'GET /v1/profile', 'PUT /v1/profile', 'DELETE /v1/profile', 'POST /v1/users', 'GET /healthz', 'GET /readyz', 'GET /metrics',
    ]) assert.ok(routes.includes(route), route);
    const gen = doc.paths['/v1/generations'].post;
    assert.equal(gen.requestBody.content['application/json'].schema.additionalProperties, false);
    assert.ok(gen.responses['202'] && gen.responses['400'] && gen.responses['401'] && gen.responses['429']);
    const page = await h.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /swagger/i);
  });
});

describe('limits', () => {
  it('rate-limits each key on its own, with Retry-After', async () => {
    const h = await startHarness({ rateLimit: 3 });
    try {
      const [a, b] = [await h.createUser(), await h.createUser()];
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await h.app.inject({ method: 'GET', url: '/v1/images', headers: a.auth })).statusCode);
      assert.deepEqual(codes, [200, 200, 200, 429]);
      const limited = await h.app.inject({ method: 'GET', url: '/v1/profile', headers: a.auth });
      assert.equal(limited.statusCode, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0);
      assert.match(limited.json().message, /3 requests per minute per key/);
      assert.equal((await h.app.inject({ method: 'GET', url: '/v1/images', headers: b.auth })).statusCode, 200, 'another key is unaffected');
      assert.equal((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'probes are not limited');
    } finally {
      await h.close();
    }
  });

  it('answers 503 with Retry-After under pressure, while /healthz still answers', async () => {
    const h = await startHarness({ pressure: { maxHeapUsedBytes: 1, sampleInterval: 5 } });
    try {
      const user = await h.createUser();
      await new Promise((r) => setTimeout(r, 50));
      const res = await h.app.inject({ method: 'GET', url: '/v1/images', headers: user.auth });
      assert.equal(res.statusCode, 503);
      assert.ok(res.headers['retry-after']);
      assert.equal(res.json().statusCode, 503);
      assert.equal((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    } finally {
      await h.close();
    }
  });

  it('hides the cause of a 5xx', async () => {
    const h = await startHarness({
      override: (deps) => ({ ...deps, images: { ...deps.images, listImages: async () => { throw new Error('connect ECONNREFUSED postgres://admin:hunter2@db'); } } }),
    });
    try {
      const user = await h.createUser();
      const res = await h.app.inject({ method: 'GET', url: '/v1/images', headers: user.auth });
      assert.equal(res.statusCode, 500);
      assert.deepEqual(res.json(), { statusCode: 500, error: 'Internal Server Error', message: 'Internal Server Error' });
      assert.doesNotMatch(res.body, /hunter2|ECONNREFUSED|postgres/);
    } finally {
      await h.close();
    }
  });
});
