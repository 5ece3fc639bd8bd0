// Every kind of bad input the issue lists answers a 4xx whose body names the field: malformed
// JSON, wrong types, unknown fields, a prompt over the token budget (saying the budget), n and
// candidates out of range, unknown or foreign images, path traversal, oversized bodies, invalid
// or forbidden webhook URLs. Nothing bad is queued or stored.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;
let ada: Awaited<ReturnType<Harness['createUser']>>;
let imageId: string;
let otherImageId: string;
before(async () => {
  h = await startHarness();
  ada = await h.createUser('ada');
  imageId = (await h.seedImages(ada.id, 1))[0]!.id;
  otherImageId = (await h.seedImages((await h.createUser('bob')).id, 1))[0]!.id;
});
after(async () => h.close());

interface Case {
  readonly name: string;
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly payload?: unknown;
  readonly raw?: string;
  readonly contentType?: string;
  readonly status: number;
  readonly field?: string;
  readonly message?: RegExp;
}

async function expect(c: Case): Promise<void> {
  const res = await h.app.inject({
    method: c.method ?? 'POST', url: c.url,
    headers: { ...ada.auth, ...(c.contentType && { 'content-type': c.contentType }), ...(c.raw !== undefined && !c.contentType && { 'content-type': 'application/json' }) },
    ...(c.raw !== undefined ? { payload: c.raw } : c.payload !== undefined ? { payload: c.payload as object } : {}),
  });
  assert.equal(res.statusCode, c.status, `${c.name}: ${res.body.slice(0, 300)}`);
  const body = res.json();
  assert.equal(body.statusCode, c.status);
  if (c.field) assert.equal(body.field, c.field, `${c.name}: ${body.message}`);
  if (c.message) assert.match(body.message, c.message, c.name);
}

const gen = (extra: object) => ({ prompt: 'a red circle', n: 1, ...extra });

describe('bad input answers a 4xx naming the field', () => {
  it('in generation requests', async () => {
    const cases: Case[] = [
      { name: 'malformed JSON', url: '/v1/generations', raw: '{"prompt": "a circle", "n": 1', status: 400, field: 'body', message: /JSON/ },
      { name: 'empty JSON body', url: '/v1/generations', raw: '', status: 400, field: 'body' },
      { name: 'not an object', url: '/v1/generations', raw: '[1,2]', status: 400 },
      { name: 'n as a string', url: '/v1/generations', payload: gen({ n: '3' }), status: 400, field: 'n', message: /integer/ },
      { name: 'prompt as a number', url: '/v1/generations', payload: { prompt: 7, n: 1 }, status: 400, field: 'prompt' },
      { name: 'missing prompt', url: '/v1/generations', payload: { n: 1 }, status: 400, field: 'prompt', message: /required/ },
      { name: 'unknown field', url: '/v1/generations', payload: gen({ sampler: 'ddim' }), status: 400, field: 'sampler', message: /unknown field/ },
      { name: 'camelCase field', url: '/v1/generations', payload: gen({ negativePrompt: 'x' }), status: 400, field: 'negativePrompt' },
      { name: 'prompt over the token budget', url: '/v1/generations', payload: gen({ prompt: 'circle '.repeat(60) }), status: 400, field: 'prompt', message: /at most 32 tokens/ },
      { name: 'negative prompt over the budget', url: '/v1/generations', payload: gen({ negative_prompt: 'blur '.repeat(60) }), status: 400, field: 'negative_prompt', message: /at most 32 tokens/ },
      { name: 'prompt absurdly long', url: '/v1/generations', payload: gen({ prompt: 'x'.repeat(5000) }), status: 400, field: 'prompt', message: /2000/ },
      { name: 'n = 0', url: '/v1/generations', payload: gen({ n: 0 }), status: 400, field: 'n', message: />= 1/ },
      { name: 'n = 9', url: '/v1/generations', payload: gen({ n: 9 }), status: 400, field: 'n', message: /<= 8/ },
      { name: 'n fractional', url: '/v1/generations', payload: gen({ n: 1.5 }), status: 400, field: 'n' },
      { name: 'candidates = 33', url: '/v1/generations', payload: gen({ candidates: 33 }), status: 400, field: 'candidates', message: /<= 32/ },
      { name: 'candidates below n', url: '/v1/generations', payload: gen({ n: 4, candidates: 2 }), status: 400, field: 'candidates', message: /n\.\.32/ },
      { name: 'seed negative', url: '/v1/generations', payload: gen({ seed: -1 }), status: 400, field: 'seed' },
      { name: 'steps 0', url: '/v1/generations', payload: gen({ steps: 0 }), status: 400, field: 'steps' },
      { name: 'guidance huge', url: '/v1/generations', payload: gen({ guidance: 1e9 }), status: 400, field: 'guidance' },
      { name: 'personalization 2', url: '/v1/generations', payload: gen({ personalization: 2 }), status: 400, field: 'personalization' },
      { name: 'text/plain body', url: '/v1/generations', raw: 'a circle', contentType: 'text/plain', status: 415, field: 'content-type' },
      { name: 'oversized body', url: '/v1/generations', payload: gen({ negative_prompt: 'x'.repeat(70 * 1024) }), status: 413, field: 'body' },
      { name: 'batch of none', url: '/v1/generations/batch', payload: { items: [] }, status: 400, field: 'items' },
      { name: 'batch of 101', url: '/v1/generations/batch', payload: { items: Array.from({ length: 101 }, () => gen({})) }, status: 400, field: 'items', message: /100/ },
      { name: 'batch item wrong type', url: '/v1/generations/batch', payload: { items: [gen({}), gen({}), gen({ n: 'two' })] }, status: 400, field: 'items[2].n' },
      { name: 'batch item over budget', url: '/v1/generations/batch', payload: { items: [gen({}), gen({ prompt: 'circle '.repeat(60) })] }, status: 400, field: 'items[1].prompt', message: /32 tokens/ },
      { name: 'batch item unknown field', url: '/v1/generations/batch', payload: { items: [gen({ colour: 'red' })] }, status: 400, field: 'items[0].colour' },
      { name: 'batch oversized', url: '/v1/generations/batch', payload: { items: [gen({ negative_prompt: 'y'.repeat(1100 * 1024) })] }, status: 413, field: 'body' },
    ];
    for (const c of cases) await expect(c);
    assert.equal((await h.services.store.listImages(ada.id)).images.length, 1, 'nothing new stored');
  });

  it('in webhook URLs', async () => {
    const secret = { webhook_secret: 'a-secret-of-16-chars' };
    const cases: [string, RegExp][] = [
      ['not a url', /http/],
      ['ftp://example.com/hook', /http:\/\/ or https:\/\//],
      ['file:///etc/passwd', /http/],
      ['javascript:alert(1)', /http/],
      ['http://10.1.2.3/hook', /private, loopback or reserved/],
      ['http://169.254.169.254/latest/meta-data', /private/],
      ['http://[::1]:8080/hook', /private/],
      ['http://[::ffff:192.168.0.1]/x', /private/],
      ['http://127.0.0.2/hook', /private/],
      ['http://0.0.0.0:80/', /private/],
      ['http://user:pass@example.com/hook', /user name or password/],
      ['http://does-not-exist.invalid/hook', /resolve/],
    ];
    for (const [url, message] of cases) await expect({ name: url, url: '/v1/generations', payload: gen({ webhook_url: url, ...secret }), status: 400, field: 'webhook_url', message });
    await expect({ name: 'webhook without secret', url: '/v1/generations', payload: gen({ webhook_url: 'http://127.0.0.1:9/hook' }), status: 400, field: 'webhook_secret' });
    await expect({ name: 'secret without webhook', url: '/v1/generations', payload: gen(secret), status: 400, field: 'webhook_url' });
    await expect({ name: 'short secret', url: '/v1/generations', payload: gen({ webhook_url: 'http://127.0.0.1:9/hook', webhook_secret: 'short' }), status: 400, field: 'webhook_secret' });
    await expect({ name: 'batch item webhook', url: '/v1/generations/batch', payload: { items: [gen({}), gen({ webhook_url: 'http://10.0.0.1/', ...secret })] }, status: 400, field: 'items[1].webhook_url' });
  });

  it('in images, ratings, choices and the profile', async () => {
    const cases: Case[] = [
      { name: 'unknown image', method: 'GET', url: '/v1/images/no-such-image', status: 404 },
      { name: 'foreign image', method: 'GET', url: `/v1/images/${otherImageId}`, status: 404 },
      { name: 'rate unknown image', url: '/v1/images/no-such-image/rating', payload: { value: 'like' }, status: 404 },
      { name: 'rate foreign image', url: `/v1/images/${otherImageId}/rating`, payload: { value: 'like' }, status: 404 },
      { name: 'rating 7', url: `/v1/images/${imageId}/rating`, payload: { value: 7 }, status: 400, field: 'value', message: /'like', 'dislike' or 1\.\.5/ },
      { name: 'rating "meh"', url: `/v1/images/${imageId}/rating`, payload: { value: 'meh' }, status: 400, field: 'value' },
      { name: 'rating "5" as text', url: `/v1/images/${imageId}/rating`, payload: { value: '5' }, status: 400, field: 'value' },
      { name: 'rating unknown field', url: `/v1/images/${imageId}/rating`, payload: { value: 'like', stars: 3 }, status: 400, field: 'stars' },
      { name: 'comment too long', url: `/v1/images/${imageId}/rating`, payload: { value: 'like', comment: 'x'.repeat(2001) }, status: 400, field: 'comment' },
      { name: 'choice of one image', url: '/v1/choices', payload: { winner: imageId, loser: imageId }, status: 400, field: 'loser' },
      { name: 'choice with foreign image', url: '/v1/choices', payload: { winner: imageId, loser: otherImageId }, status: 404 },
      { name: 'choice missing loser', url: '/v1/choices', payload: { winner: imageId }, status: 400, field: 'loser' },
      { name: 'list limit 0', method: 'GET', url: '/v1/images?limit=0', status: 400, field: 'limit', message: /querystring/ },
      { name: 'list limit text', method: 'GET', url: '/v1/images?limit=ten', status: 400, field: 'limit' },
      { name: 'list rating 6', method: 'GET', url: '/v1/images?rating=6', status: 400, field: 'rating' },
      { name: 'list cursor', method: 'GET', url: '/v1/images?cursor=abc', status: 400, field: 'cursor' },
      { name: 'list unknown parameter', method: 'GET', url: '/v1/images?sort=asc', status: 400, field: 'sort' },
      { name: 'file size', method: 'GET', url: `/v1/images/${imageId}/file?size=huge`, status: 400, field: 'size' },
      { name: 'file format', method: 'GET', url: `/v1/images/${imageId}/file?format=gif`, status: 400, field: 'format' },
      { name: 'profile edit empty', method: 'PUT', url: '/v1/profile', payload: {}, status: 400 },
      { name: 'profile strength 3', method: 'PUT', url: '/v1/profile', payload: { strength: 3 }, status: 400, field: 'strength' },
      { name: 'profile weight 0', method: 'PUT', url: '/v1/profile', payload: { liked: [{ attribute: 'red', weight: 0 }] }, status: 400, field: 'liked[0].weight' },
      { name: 'profile vector', method: 'PUT', url: '/v1/profile', payload: { vector: [1, 2] }, status: 400, field: 'vector' },
      { name: 'cancel unknown job', method: 'DELETE', url: '/v1/jobs/no-such-job', status: 404 },
    ];
    for (const c of cases) await expect(c);
    assert.equal((await h.services.store.history(ada.id)).length, 0, 'no event recorded');
  });

  it('in ids and file routes: path traversal never leaves DATA_DIR (400, 404, or 414 for an absurd length)', async () => {
    const traversal = [
      '..%2F..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..', '....%2F', 'abc%00def', '%2Fetc%2Fpasswd',
      'a%5C..%5C..%5Cwindows', encodeURIComponent('../../atelier.db'), 'x'.repeat(300), 'caf%C3%A9',
    ];
    for (const id of traversal) {
      for (const url of [`/v1/images/${id}`, `/v1/images/${id}/file`, `/v1/images/${id}/file?size=thumb`, `/v1/jobs/${id}`, `/v1/jobs/${id}/events`]) {
        const res = await h.app.inject({ method: 'GET', url, headers: ada.auth });
        assert.ok([400, 404, 414].includes(res.statusCode), `${url}: ${res.statusCode}`);
        assert.doesNotMatch(res.body, /root:|SQLite format/, url);
        if (res.statusCode === 400) assert.equal(res.json().field, 'id');
      }
    }
    for (const url of ['/v1/images/../../etc/passwd', '/v1/../../../etc/passwd', '/v1/images/%2e%2e/%2e%2e/atelier.db', '/v1/images/ok/file/../../../../atelier.db']) {
      const res = await h.app.inject({ method: 'GET', url, headers: ada.auth });
      assert.ok(res.statusCode === 400 || res.statusCode === 404, `${url}: ${res.statusCode}`);
      assert.doesNotMatch(res.body, /root:|SQLite format/, url);
    }
    // The query string is the only other input of the file route, and it takes two words.
    const res = await h.app.inject({ method: 'GET', url: `/v1/images/${imageId}/file?size=../../atelier.db`, headers: ada.auth });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().field, 'size');
  });
});
