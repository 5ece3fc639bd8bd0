// Rating ingestion: POST /v1/images/:id/rating requests per second on loopback, through the whole
// embedded app (auth, rate limit, schema, history append, profile update and save in SQLite),
// against a bare Fastify route that only parses the same JSON body, in the same process setup
// and the same run, rounds interleaved. autocannon drives both. Target: ratio >= 0.3; p99 printed.
//
//   npm run bench:ratings -- [--seconds 5] [--warmup 2] [--connections 10] [--rounds 2] [--users 50] [--images 16] [--json]
//
// Each server first takes --warmup seconds of the same load, not counted (JIT, caches, the
// users' first refits), so the rounds measure the steady state.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  AdminKey, buildServices, FeedbackLoop, loadServiceRuntime, readConfig, WebhookPolicy, WebhookSender,
} from '../../adapters/wire.ts';
import { buildServer } from '../../gallery/build-server.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    users: { type: 'string', default: '50' },
    images: { type: 'string', default: '16' },
    json: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const CONNECTIONS = Number(values.connections);
const ROUNDS = Number(values.rounds);
const USERS = Number(values.users);
const IMAGES = Number(values.images);
const VALUES = ['like', 'dislike', 1, 2, 3, 4, 5];

// 1. The embedded app on a fresh DATA_DIR, with a user and images to rate.
const dataDir = await mkdtemp(join(tmpdir(), 'atelier-bench-ratings-'));
const config = readConfig({ DATA_DIR: dataDir, ATELIER_CONCURRENCY: '0' });
const services = await buildServices(config);
const runtime = await loadServiceRuntime(config, { generate: false, env: {}, log: () => {} });
const { store, files, queue } = services;
const policy = new WebhookPolicy();
const webhooks = new WebhookSender(policy);
const app = await buildServer({
  users: store, images: store, history: store, files, queue, limits: runtime.limits,
  feedback: new FeedbackLoop({ history: store, images: store, personalizer: runtime.personalizer }),
  adminKey: AdminKey.fromKey('bench-admin-key-0123456789'), webhookPolicy: policy, webhooks, rateLimit: { max: 100_000_000 },
});
const params = { prompt: 'a red circle, on a teal background', negativePrompt: '', steps: 4, guidance: 4, width: 8, height: 8, scheduler: 'ddim', model: 'bench' };
const dim = runtime.personalizer.prior.dim;
/** Per user: the key, and the images they may rate. */
const raters: { userId: string; key: string; imageIds: string[] }[] = [];
for (let u = 0; u < USERS; u++) {
  const { user, apiKey } = await store.createUser(`bench-${u}`);
  const jobId = crypto.randomUUID();
  await store.createJob({ id: jobId, userId: user.id, request: { prompt: 'bench', n: IMAGES } });
  const seeded = [];
  for (let seed = 0; seed < IMAGES; seed++) {
    const file = await files.save({ seed, width: 8, height: 8, pixels: new Uint8Array(192).fill((seed * 31 + u) % 256) }, params);
    const v = Array.from({ length: dim }, (_, k) => Math.sin(seed * 7 + u * 3 + k));
    const n = Math.hypot(...v);
    seeded.push({
      jobId, userId: user.id, seed, file, params, rewrittenPrompt: params.prompt, profile: null, scores: {},
      embedding: v.map((x) => x / n), attributes: [seed % 2 ? 'teal background' : 'blue background'],
    });
  }
  raters.push({ userId: user.id, key: apiKey, imageIds: (await store.saveImages(seeded)).map((s) => s.id) });
}

// 2. The baseline: a bare route in the same kind of server, parsing the same body.
const bare: FastifyInstance = Fastify({ logger: false });
bare.post('/v1/images/:id/rating', async (request) => ({ image_id: (request.params as { id: string }).id, rating: (request.body as { value: unknown }).value }));

const appUrl = await app.listen({ port: 0, host: '127.0.0.1' });
const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

let turn = 0;
async function run(base: string, duration = SECONDS): Promise<{ rps: number; p99: number; p50: number; non2xx: number; errors: number }> {
  const result = await autocannon({
    url: base, connections: CONNECTIONS, duration, method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [{
      // Users take turns; each rates another of their images with another value.
      setupRequest: (req) => {
        const k = turn++;
        const r = raters[k % raters.length]!;
        const image = r.imageIds[Math.floor(k / raters.length) % r.imageIds.length];
        return {
          ...req, path: `/v1/images/${image}/rating`, body: JSON.stringify({ value: VALUES[k % VALUES.length] }),
          headers: { ...req.headers, authorization: `Bearer ${r.key}` },
        };
      },
    }],
  });
  return { rps: result.requests.average, p99: result.latency.p99, p50: result.latency.p50, non2xx: result.non2xx, errors: result.errors };
}

const rounds: { bare: Awaited<ReturnType<typeof run>>; atelier: Awaited<ReturnType<typeof run>> }[] = [];
let warmupFailed = 0;
if (WARMUP > 0) {
  await run(bareUrl, WARMUP);
  const w = await run(appUrl, WARMUP);
  warmupFailed = w.non2xx + w.errors;
}
for (let r = 0; r < ROUNDS; r++) {
  const b = await run(bareUrl);
  const a = await run(appUrl);
  rounds.push({ bare: b, atelier: a });
  if (!values.json) console.error(`round ${r + 1}: bare ${b.rps.toFixed(0)} req/s (p99 ${b.p99} ms), atelier ${a.rps.toFixed(0)} req/s (p99 ${a.p99} ms)`);
}
let history = 0;
let evidence = 0;
for (const r of raters) {
  history += (await store.history(r.userId)).length;
  evidence += (await store.loadProfile(r.userId))?.evidence ?? 0;
}

await app.close();
await bare.close();
await webhooks.close();
await services.close();
await runtime.release();
await rm(dataDir, { recursive: true, force: true });

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const bareRps = mean(rounds.map((r) => r.bare.rps));
const ourRps = mean(rounds.map((r) => r.atelier.rps));
const result = {
  benchmark: 'rating-ingestion',
  seconds: SECONDS, warmupSeconds: WARMUP, connections: CONNECTIONS, rounds: ROUNDS, users: USERS, imagesPerUser: IMAGES,
  bareFastifyRequestsPerSecond: Math.round(bareRps),
  atelierRequestsPerSecond: Math.round(ourRps),
  ratio: Number((ourRps / bareRps).toFixed(3)),
  target: 0.3,
  atelierLatencyMs: { p50: Math.max(...rounds.map((r) => r.atelier.p50)), p99: Math.max(...rounds.map((r) => r.atelier.p99)) },
  bareLatencyMs: { p50: Math.max(...rounds.map((r) => r.bare.p50)), p99: Math.max(...rounds.map((r) => r.bare.p99)) },
  atelierNon2xx: warmupFailed + rounds.reduce((s, r) => s + r.atelier.non2xx + r.atelier.errors, 0),
  ratingsStored: history,
  profileEvidence: evidence,
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`ratings/s: bare Fastify ${result.bareFastifyRequestsPerSecond}, Atelier ${result.atelierRequestsPerSecond}; ratio ${result.ratio} (target >= 0.3)`);
  console.log(`Atelier latency p50 ${result.atelierLatencyMs.p50} ms, p99 ${result.atelierLatencyMs.p99} ms; ${result.ratingsStored} ratings stored, ${result.atelierNon2xx} failed`);
}
process.exitCode = result.ratio >= result.target && result.atelierNon2xx === 0 ? 0 : 1;
