// Scale-out for real: one API process (gallery/server.ts) and two worker processes
// (scripts/worker.ts) over Redis and PostgreSQL, sharing DATA_DIR. One worker is SIGKILLed in the
// middle of a job: the other finishes it, no image row is duplicated, and ratings sent meanwhile
// are all kept.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ROOT } from '../helpers.ts';
import { DATABASE_URL, ensurePostgres, ensureRedis, REDIS_URL } from '../support/services.ts';

const ADMIN = 'scale-out-admin-key-0123456789';
const prefix = `test-${randomUUID().slice(0, 8)}`;
const schema = `scale_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
let dataDir: string;
const children: ChildProcess[] = [];

interface Proc {
  readonly child: ChildProcess;
  readonly lines: string[];
  next(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

function start(script: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const w of [...waiters]) w();
    });
  }
  return {
    child, lines,
    next: (pattern, timeoutMs = 90_000) => new Promise((resolve, reject) => {
      const check = () => {
        const m = lines.map((l) => l.match(pattern)).find(Boolean);
        if (!m) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${script}: no line matching ${pattern} in ${timeoutMs} ms; output:\n${lines.slice(-30).join('\n')}`));
      }, timeoutMs).unref();
      waiters.add(check);
      child.once('exit', (code) => code !== null && code !== 0 && reject(new Error(`${script} exited ${code}:\n${lines.slice(-30).join('\n')}`)));
      check();
    }),
  };
}

async function dropQueueKeys(url: string, keyPrefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

before(async () => {
  await Promise.all([ensureRedis(), ensurePostgres()]);
  dataDir = await mkdtemp(join(tmpdir(), 'atelier-scale-'));
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await dropQueueKeys(REDIS_URL, prefix);
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
  await rm(dataDir, { recursive: true, force: true });
});

it('finishes on the other worker a job whose worker was SIGKILLed, without duplicates or lost ratings', { timeout: 300_000 }, async () => {
  const env = {
    REDIS_URL, DATABASE_URL, DATA_DIR: dataDir, PORT: '0', ATELIER_QUEUE_PREFIX: prefix, ATELIER_PG_SCHEMA: schema,
    ATELIER_ADMIN_KEY: ADMIN, ATELIER_JOB_LOCK_MS: '1500', ATELIER_DEVICE: 'cpu', LOG_LEVEL: 'warn', ATELIER_WEBHOOK_ALLOW: '127.0.0.1',
  };
  // The API first: it creates the schema, so the workers do not race it to the migration lock.
  const t0 = Date.now();
  const mark = (what: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const api = start('gallery/server.ts', env);
  const base = (await api.next(/API docs: (http:\/\/\S+)\/docs/))[1]!;
  const workers = [start('scripts/worker.ts', env), start('scripts/worker.ts', env)];
  await Promise.all(workers.map((w) => w.next(/ready: /)));
  assert.match(api.lines.join('\n'), /jobs run on `npm run worker` processes/);
  mark('API and two workers up');

  const call = async (method: string, path: string, key: string, body?: object) => {
    const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${key}`, ...(body && { 'content-type': 'application/json' }) }, ...(body && { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { [k: string]: any } };
  };
  const user = await call('POST', '/v1/users', ADMIN, { name: 'ada' });
  assert.equal(user.status, 201);
  const key = user.body.api_key as string;
  const finished = async (jobId: string) => {
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const job = await call('GET', `/v1/jobs/${jobId}`, key);
      if (job.body.state === 'completed' || job.body.state === 'failed') return job.body;
    }
    throw new Error(`job ${jobId} did not finish`);
  };

  // Images to rate while the long job runs.
  const warmup = await call('POST', '/v1/generations', key, { prompt: 'a red circle', n: 4, candidates: 4, steps: 4, seed: 1 });
  const rated = ((await finished(warmup.body.job_id)).images as { id: string }[]).map((i) => i.id);
  assert.equal(rated.length, 4);
  mark('warm-up job done');

  // A long job; kill its worker once it is a few steps in.
  const long = await call('POST', '/v1/generations', key, { prompt: 'a blue striped square, on a teal background', n: 2, candidates: 8, steps: 60, seed: 11 });
  assert.equal(long.status, 202);
  const jobId = long.body.job_id as string;
  const startedOn = await Promise.race(workers.map((w, i) => w.next(new RegExp(`job ${jobId} started \\(attempt 1\\)`)).then(() => i)));
  for (;;) {
    const job = await call('GET', `/v1/jobs/${jobId}`, key);
    if (job.body.state === 'running' && (job.body.progress?.step ?? 0) >= 3) break;
    assert.notEqual(job.body.state, 'completed', 'the job must still be running when its worker dies');
    await new Promise((r) => setTimeout(r, 50));
  }
  workers[startedOn]!.child.kill('SIGKILL');
  mark('worker killed mid-job');
  const survivor = workers[1 - startedOn]!;

  // Ratings keep flowing through the API meanwhile.
  const ratings: number[] = [];
  for (let i = 0; i < 12; i++) {
    ratings.push((await call('POST', `/v1/images/${rated[i % 4]}/rating`, key, { value: i % 3 === 0 ? 'dislike' : (i % 5) + 1 })).status);
  }
  ratings.push((await call('POST', '/v1/choices', key, { winner: rated[0], loser: rated[1] })).status);
  assert.deepEqual(ratings, Array(13).fill(200));

  await survivor.next(new RegExp(`job ${jobId} started \\(attempt 2\\)`), 60_000);
  const job = await finished(jobId);
  assert.equal(job.state, 'completed');
  assert.equal((job.images as unknown[]).length, 2);
  await survivor.next(new RegExp(`job ${jobId} completed`));
  mark('the job completed on the other worker');

  const db = new pg.Client({ connectionString: DATABASE_URL, options: `-c search_path=${schema}` });
  await db.connect();
  try {
    const rows = (await db.query('SELECT seed, count(*)::int AS copies FROM images WHERE job_id = $1 GROUP BY seed', [jobId])).rows;
    assert.equal(rows.length, 2, 'n image rows for the job');
    assert.ok(rows.every((r) => r.copies === 1), 'no duplicates');
    const events = (await db.query('SELECT kind, count(*)::int AS n FROM history_events WHERE kind IN ($1, $2) GROUP BY kind ORDER BY kind', ['choice', 'rating'])).rows;
    assert.deepEqual(events, [{ kind: 'choice', n: 1 }, { kind: 'rating', n: 12 }], 'every rating and choice kept');
    const state = (await db.query('SELECT state FROM jobs WHERE id = $1', [jobId])).rows[0];
    assert.equal(state.state, 'completed');
  } finally {
    await db.end();
  }
  const profile = await call('GET', '/v1/profile', key);
  assert.ok((profile.body.evidence as number) >= 13);
  const files = await fetch(`${base}/v1/images/${(job.images as { id: string }[])[0]!.id}/file`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(files.status, 200, 'the API serves a file a worker wrote to the shared DATA_DIR');

  api.child.kill('SIGTERM');
  survivor.child.kill('SIGTERM');
  await Promise.all([api, survivor].map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)))));
  mark('API and worker stopped');
});
