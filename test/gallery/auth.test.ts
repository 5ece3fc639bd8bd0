// Authentication and isolation through the HTTP API: no key is 401 everywhere, the admin route
// takes only the admin key, and another user's job or image answers exactly like a missing one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, startHarness, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

const USER_ROUTES: [string, string, object?][] = [
  ['POST', '/v1/generations', { prompt: 'a circle', n: 1 }],
  ['POST', '/v1/generations/batch', { items: [{ prompt: 'a circle', n: 1 }] }],
  ['GET', '/v1/jobs/abc'],
  ['DELETE', '/v1/jobs/abc'],
  ['GET', '/v1/jobs/abc/events'],
  ['GET', '/v1/images'],
  ['GET', '/v1/images/abc'],
  ['GET', '/v1/images/abc/file'],
  ['POST', '/v1/images/abc/rating', { value: 'like' }],
  ['POST', '/v1/choices', { winner: 'a', loser: 'b' }],
  ['GET', '/v1/onboarding/next-pair'],
  ['GET', '/v1/onboarding/set'],
  ['GET', '/v1/profile'],
  ['PUT', '/v1/profile', { strength: 0.5 }],
  ['DELETE', '/v1/profile'],
];

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate on every user route without a key, or with a wrong one', async () => {
    for (const [method, url, payload] of USER_ROUTES) {
      for (const headers of [{}, { authorization: 'Bearer atl_notarealkeynotarealkeynotarealkeynotarealkey' }, { authorization: 'Basic abc' }, { authorization: `Bearer ${ADMIN_KEY}` }]) {
        const res = await h.app.inject({ method: method as 'GET', url, headers, ...(payload && { payload }) });
        assert.equal(res.statusCode, 401, `${method} ${url} with ${JSON.stringify(headers)}: ${res.body}`);
        assert.equal(res.headers['www-authenticate'], 'Bearer');
        assert.equal(res.json().field, 'authorization');
      }
    }
  });

  it('creates users with the admin key only: none 401, a user key 403', async () => {
    const none = await h.app.inject({ method: 'POST', url: '/v1/users', payload: { name: 'x' } });
    assert.equal(none.statusCode, 401);
    const user = await h.createUser();
    const asUser = await h.app.inject({ method: 'POST', url: '/v1/users', headers: user.auth, payload: { name: 'x' } });
    assert.equal(asUser.statusCode, 403);
    const wrong = await h.app.inject({ method: 'POST', url: '/v1/users', headers: { authorization: `Bearer ${ADMIN_KEY}x` }, payload: { name: 'x' } });
    assert.equal(wrong.statusCode, 401);
    const ok = await h.app.inject({ method: 'POST', url: '/v1/users', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'grace' } });
    assert.equal(ok.statusCode, 201);
    const created = ok.json();
    assert.equal(created.name, 'grace');
    assert.match(created.api_key, /^atl_/);
    const me = await h.app.inject({ method: 'GET', url: '/v1/profile', headers: { authorization: `Bearer ${created.api_key}` } });
    assert.equal(me.statusCode, 200, 'the new key works at once');
  });
});

describe('isolation', () => {
  it("answers 404 for another user's images and jobs, on every route, and lists only your own", async () => {
    const ada = await h.createUser('ada');
    const bob = await h.createUser('bob');
    const [a1, a2] = await h.seedImages(ada.id, 2);
    const [b1] = await h.seedImages(bob.id, 1);
    const job = await h.app.inject({ method: 'POST', url: '/v1/generations', headers: ada.auth, payload: { prompt: 'a circle', n: 1 } });
    assert.equal(job.statusCode, 202);
    const jobId = job.json().job_id as string;

    const foreign: [string, string, object?][] = [
      ['GET', `/v1/images/${a1!.id}`],
      ['GET', `/v1/images/${a1!.id}/file`],
      ['GET', `/v1/images/${a1!.id}/file?size=thumb&format=webp`],
      ['POST', `/v1/images/${a1!.id}/rating`, { value: 5 }],
      ['POST', '/v1/choices', { winner: a1!.id, loser: a2!.id }],
      ['POST', '/v1/choices', { winner: b1!.id, loser: a2!.id }],
      ['GET', `/v1/jobs/${jobId}`],
      ['DELETE', `/v1/jobs/${jobId}`],
      ['GET', `/v1/jobs/${jobId}/events`],
      ['GET', `/v1/jobs/${a1!.jobId}`],
    ];
    for (const [method, url, payload] of foreign) {
      const res = await h.app.inject({ method: method as 'GET', url, headers: bob.auth, ...(payload && { payload }) });
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
      const missing = await h.app.inject({ method: method as 'GET', url: url.replace(a1!.id, 'nope').replace(jobId, 'nope').replace(a1!.jobId, 'nope'), headers: bob.auth, ...(payload && { payload }) });
      assert.equal(missing.statusCode, 404);
      assert.equal(res.json().message, missing.json().message, `${url}: someone else's reads exactly as missing`);
    }
    const list = (await h.app.inject({ method: 'GET', url: '/v1/images', headers: bob.auth })).json();
    assert.deepEqual(list.images.map((i: { id: string }) => i.id), [b1!.id]);
    const theirs = (await h.app.inject({ method: 'GET', url: '/v1/images', headers: ada.auth })).json();
    assert.deepEqual(theirs.images.map((i: { id: string }) => i.id).sort(), [a1!.id, a2!.id].sort());
    // Nothing of Bob's attempts reached Ada's data.
    assert.equal((await h.services.store.history(ada.id)).length, 0);
    assert.equal((await h.app.inject({ method: 'GET', url: `/v1/jobs/${jobId}`, headers: ada.auth })).json().state, 'queued');
  });
});
