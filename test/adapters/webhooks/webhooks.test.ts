// Webhook delivery against a real HTTP server on loopback: HMAC-SHA256 signatures a receiver can
// check, retries with backoff on 5xx and timeouts (none on 4xx), and the address policy: http(s)
// only, internal addresses refused unless allow-listed, also when a name resolves to one.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebhookPolicy } from '../../../adapters/webhooks/address-policy.ts';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER, WebhookSender } from '../../../adapters/webhooks/webhook-sender.ts';

interface Hit {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

let server: Server;
let port: number;
const hits: Hit[] = [];
let answers: number[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hits.push({ headers: req.headers, body });
      const status = answers.shift() ?? 200;
      if (status === 0) return; // never answers
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const reset = (...statuses: number[]) => {
  hits.length = 0;
  answers = statuses;
};
const allowLoopback = new WebhookPolicy(['127.0.0.1', '::1']);
const quick = { backoffMs: 20, attempts: 3, log: () => {} };

describe('WebhookPolicy', () => {
  it('refuses internal addresses, allows public ones and the allow-list', () => {
    const p = new WebhookPolicy(['10.9.0.0/16']);
    for (const ip of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '224.0.0.1', '255.255.255.255']) {
      assert.equal(p.allowsAddress(ip), false, ip);
    }
    for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '10.9.3.4']) assert.equal(p.allowsAddress(ip), true, ip);
    assert.equal(p.allowsAddress('not an ip'), false);
  });

  it('checks names by every address they resolve to', async () => {
    const p = new WebhookPolicy();
    await assert.rejects(p.check('https://internal.example/hook', async () => ['93.184.216.34', '10.0.0.7']), /resolves to 10\.0\.0\.7/);
    assert.equal((await p.check('https://public.example/hook', async () => ['93.184.216.34'])).hostname, 'public.example');
    await assert.rejects(p.check('https://nowhere.example/', async () => { throw new Error('ENOTFOUND'); }), /nowhere.example does not/);
    await assert.rejects(p.check('gopher://x/'), /http:\/\/ or https:\/\//);
  });
});

describe('WebhookSender', () => {
  it('signs the body so a receiver can verify it, and retries a 5xx with the same delivery id', async () => {
    reset(503, 200);
    const sender = new WebhookSender(allowLoopback, quick);
    const secret = 'whsec-0123456789abcdef';
    const result = await sender.send({ url: `http://127.0.0.1:${port}/hook`, secret }, { type: 'job.completed', job_id: 'j1' });
    assert.deepEqual({ delivered: result.delivered, attempts: result.attempts, status: result.status }, { delivered: true, attempts: 2, status: 200 });
    assert.equal(hits.length, 2);
    for (const hit of hits) {
      const ts = hit.headers[TIMESTAMP_HEADER] as string;
      assert.equal(hit.headers[SIGNATURE_HEADER], signWebhook(secret, ts, hit.body), 'HMAC-SHA256 over timestamp.body');
      assert.notEqual(hit.headers[SIGNATURE_HEADER], signWebhook('another-secret-0000', ts, hit.body));
      assert.equal(hit.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(hit.body), { type: 'job.completed', job_id: 'j1' });
    }
    assert.equal(hits[0]!.headers[DELIVERY_HEADER], hits[1]!.headers[DELIVERY_HEADER], 'receivers can drop duplicates');
    await sender.close();
  });

  it('gives up at once on a 4xx, and after every attempt on 5xx and timeouts', async () => {
    const sender = new WebhookSender(allowLoopback, { ...quick, timeoutMs: 200 });
    reset(410);
    assert.deepEqual(await sender.send({ url: `http://127.0.0.1:${port}/`, secret: 's'.repeat(16) }, {}), { delivered: false, attempts: 1, error: 'answered 410', status: 410 });
    reset(500, 502, 503, 200);
    const r = await sender.send({ url: `http://127.0.0.1:${port}/`, secret: 's'.repeat(16) }, {});
    assert.equal(r.delivered, false);
    assert.equal(r.attempts, 3);
    assert.equal(hits.length, 3);
    reset(0, 0, 0);
    const slow = await sender.send({ url: `http://127.0.0.1:${port}/`, secret: 's'.repeat(16) }, {});
    assert.equal(slow.delivered, false);
    assert.match(slow.error!, /no answer within 200 ms/);
    assert.equal(hits.length, 3);
    await sender.close();
  });

  it('never connects to a loopback address that is not allow-listed, by IP or by name', async () => {
    const sender = new WebhookSender(new WebhookPolicy(), quick);
    reset();
    for (const url of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`]) {
      const r = await sender.send({ url, secret: 's'.repeat(16) }, {});
      assert.equal(r.delivered, false, url);
      assert.equal(r.attempts, 1, `${url}: refused, not retried`);
      assert.match(r.error!, /public address/);
    }
    assert.equal(hits.length, 0, 'nothing reached the server');
    const allowed = new WebhookSender(allowLoopback, quick);
    assert.equal((await allowed.send({ url: `http://localhost:${port}/`, secret: 's'.repeat(16) }, {})).delivered, true);
    await Promise.all([sender.close(), allowed.close()]);
  });
});
