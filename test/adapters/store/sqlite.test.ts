// The SQLite store against the store conformance suite, in a fresh temporary directory per test,
// and its group commit.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../../adapters/store/sqlite.ts';
import { StoreNotFoundError } from '../../../pipeline/ports.ts';
import { storeConformance } from './conformance.ts';

storeConformance('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'atelier-store-'));
  const file = join(dir, 'atelier.db');
  const store = await openSqliteStore(file);
  return {
    store,
    query: async (sql) => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare<[], Record<string, unknown>>(sql).all();
      } finally {
        db.close();
      }
    },
    reopen: () => openSqliteStore(file),
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('sqlite group commit', () => {
  it('commits the transactions of one turn together: each is durable when it resolves, and a bad one fails alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atelier-store-'));
    const file = join(dir, 'atelier.db');
    const store = await openSqliteStore(file);
    const reader = new Database(file, { readonly: true });
    try {
      const { user } = await store.createUser('Ada');
      await store.createJob({ id: 'job-1', userId: user.id, request: {} });
      const sha256 = 'a'.repeat(64);
      const [image] = await store.saveImages([{
        jobId: 'job-1', userId: user.id, seed: 1, file: { sha256, path: `images/aa/${sha256}.png`, thumbPath: `images/aa/${sha256}.thumb.webp`, bytes: 1 },
        params: { prompt: 'a circle', negativePrompt: '', steps: 4, guidance: 4, width: 8, height: 8, scheduler: 'ddim', model: 'test' },
        rewrittenPrompt: 'a circle', profile: null, scores: {}, embedding: [1, 0], attributes: [],
      }]);
      const committed = () => (reader.prepare('SELECT count(*) AS n FROM history_events').get() as { n: number }).n;
      const seen: number[] = [];
      const settled = await Promise.allSettled(['x', 'no-such-image', 'y'].map((name, i) => store.append(user.id, [{
        kind: 'rating', imageId: name === 'no-such-image' ? name : image!.id, value: 'like', at: i,
      }]).then(() => seen.push(committed()))));
      assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.ok((settled[1] as PromiseRejectedResult).reason instanceof StoreNotFoundError);
      // Another connection already saw both good events when the first of them resolved: one COMMIT.
      assert.deepEqual(seen, [2, 2]);
    } finally {
      reader.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps a group open while transactions keep joining it, for a few turns at most', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atelier-store-'));
    const file = join(dir, 'atelier.db');
    const store = await openSqliteStore(file);
    const reader = new Database(file, { readonly: true });
    const users = () => (reader.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
    const turn = () => new Promise((r) => setImmediate(r));
    try {
      // One transaction per turn, three turns running: one COMMIT for the three.
      const seen: number[] = [];
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 3; i++) {
        writes.push(store.createUser(`grows-${i}`).then(() => seen.push(users())));
        await turn();
      }
      await Promise.all(writes);
      assert.deepEqual(seen, [3, 3, 3]);
      // A lone transaction commits after a turn in which nothing joined it.
      const lone = store.createUser('lone');
      await turn();
      await turn();
      await turn();
      assert.equal(await Promise.race([lone.then(() => 'committed'), turn().then(() => 'waiting')]), 'committed');
      // One joining every turn, twenty turns running: the first group commits before the last joins.
      const before = users();
      const firsts: number[] = [];
      const stream: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        stream.push(store.createUser(`stream-${i}`).then(() => firsts.push(users() - before)));
        await turn();
      }
      await Promise.all(stream);
      assert.ok(firsts[0]! >= 3 && firsts[0]! < 20, `the first group held ${firsts[0]} of 20`);
    } finally {
      reader.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
