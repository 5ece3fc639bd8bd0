import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { LlmAttributeError, LlmAttributeExtractor } from '../../../adapters/huggingface/llm-attributes.ts';
import { MalformedReplyError, VIPER_SYSTEM_PROMPT } from '../../../prefs/viper-format.ts';

// A fake OpenAI-style chat server on 127.0.0.1: each test queues the replies it wants.
const TOKEN = 'hf_secretTOKEN1234567890';
type Reply = { status?: number; headers?: Record<string, string>; body?: unknown; raw?: string; delayMs?: number };
const queue: Reply[] = [];
const logs: string[] = [];
const seen: { url: string; auth?: string; body: { messages: { role: string; content: string }[]; model?: string } }[] = [];
let base = '';

const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
  let data = '';
  for await (const chunk of req) data += chunk;
  seen.push({ url: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(data) });
  const reply = queue.shift() ?? { status: 500, body: { error: 'nothing queued' } };
  if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
  if (res.destroyed) return;
  res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
  res.end(reply.raw ?? JSON.stringify(reply.body));
});
const chat = (content: string): Reply => ({ body: { id: '1', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }] } });

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));

const extractor = (extra: Partial<ConstructorParameters<typeof LlmAttributeExtractor>[0]> = {}) =>
  new LlmAttributeExtractor({ endpointUrl: `${base}/v1`, model: 'tiny-llm', accessToken: TOKEN, maxBackoffMs: 20, timeoutMs: 2000, log: (line) => logs.push(line), ...extra });
const noToken = (e: unknown) => {
  const text = `${(e as Error).message}\n${(e as Error).stack}\n${JSON.stringify(e)}\n${String((e as Error).cause ?? '')}`;
  assert.ok(!text.includes(TOKEN), `token leaked: ${text}`);
  return true;
};

test('ViPer prompt out, both keyword lists back, over real HTTP', async () => {
  seen.length = 0;
  queue.push(chat('Liked Art Features: vibrant colors, teal background\nDisliked Art Features: busy, harsh shadows'));
  const out = await extractor().extract('I love the colours and the teal, but it is too busy.');
  assert.deepEqual(out, { liked: ['vibrant colors', 'teal background'], disliked: ['busy', 'harsh shadows'] });
  const req = seen[0]!;
  assert.equal(req.url, '/v1/chat/completions');
  assert.equal(req.auth, `Bearer ${TOKEN}`);
  assert.equal(req.body.model, 'tiny-llm');
  assert.equal(req.body.messages[0]!.content, VIPER_SYSTEM_PROMPT);
  assert.match(req.body.messages[1]!.content, /too busy/);
});

test('malformed replies: chatter, markdown, missing sections, bodies without choices', async () => {
  queue.push(chat('Sure!\n**Liked Art Features:**\n- pastel colors\n- soft lighting\n**Disliked Art Features:** None\nHope this helps, enjoy your images!'));
  assert.deepEqual(await extractor().extract('soft and pastel please'), { liked: ['pastel colors', 'soft lighting'], disliked: [] });
  queue.push(chat(`I cannot help with that, ${TOKEN}.`));
  await assert.rejects(extractor().extract('hmm'), (e) => e instanceof MalformedReplyError && noToken(e));
  queue.push({ body: { object: 'chat.completion', choices: [] } });
  await assert.rejects(extractor().extract('hmm'), (e) => e instanceof LlmAttributeError && /no choices\[0\]\.message\.content/.test(e.message));
  queue.push({ raw: '{"choices": [', headers: { 'content-type': 'application/json' } });
  await assert.rejects(extractor().extract('hmm'), (e) => e instanceof LlmAttributeError && noToken(e));
});

test('429 and 5xx are retried (Retry-After honoured); the token never appears in an error', async () => {
  seen.length = 0;
  queue.push({ status: 429, headers: { 'retry-after': '0' }, body: { error: 'slow down' } }, { status: 503, body: { error: 'loading' } }, chat('Liked Art Features: film grain'));
  assert.deepEqual(await extractor().extract('grainy is nice'), { liked: ['film grain'], disliked: [] });
  assert.equal(seen.length, 3);
  queue.push(...Array.from({ length: 3 }, () => ({ status: 500, body: { error: `invalid token ${TOKEN}` } })));
  await assert.rejects(extractor().extract('x'), (e) => e instanceof LlmAttributeError && e.status === 500 && /after 3 tries/.test(e.message) && noToken(e));
  queue.push({ status: 401, body: { error: `bad token ${TOKEN}` } });
  await assert.rejects(extractor().extract('x'), (e) => e instanceof LlmAttributeError && e.status === 401 && /after 1 tries/.test(e.message) && noToken(e));
  assert.ok(logs.some((line) => /HTTP 429/.test(line)) && logs.some((line) => /HTTP 500.*\[REDACTED\]/.test(line)), logs.join('\n'));
  assert.ok(!logs.join('\n').includes(TOKEN), 'token leaked into a log line');
});

test('timeouts and cancellation end the call; empty comments never reach the server', async () => {
  queue.push({ ...chat('Liked Art Features: late'), delayMs: 400 });
  await assert.rejects(extractor({ timeoutMs: 100, retries: 0 }).extract('x'), (e) => e instanceof LlmAttributeError && /timed out after 100 ms/.test(e.message));
  queue.push({ ...chat('Liked Art Features: late'), delayMs: 400 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('user cancelled')), 50);
  await assert.rejects(extractor().extract('x', { signal: controller.signal }), /user cancelled/);
  seen.length = 0;
  assert.deepEqual(await extractor().extract('   '), { liked: [], disliked: [] });
  assert.equal(seen.length, 0);
  assert.throws(() => new LlmAttributeExtractor({ endpointUrl: 'file:///etc/passwd' }), /http\(s\) URL/);
  await new Promise((r) => setTimeout(r, 450)); // let the delayed replies drain before the server closes
});
