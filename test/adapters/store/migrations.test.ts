// A database made by an earlier version keeps its data through the migrations that came after:
// built here at version 1 (the first migration alone), with rated images, then opened by the
// store. Both dialects.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openPostgresStore } from '../../../adapters/store/postgres.ts';
import { openSqliteStore } from '../../../adapters/store/sqlite.ts';
import type { SqlStore } from '../../../adapters/store/sql-store.ts';
import { ensurePostgres } from '../../support/services.ts';

const MIGRATIONS = join(import.meta.dirname, '..', '..', '..', 'adapters', 'store', 'migrations');
const version1 = (dialect: string) => readFileSync(join(MIGRATIONS, dialect, '001-initial.sql'), 'utf8');

const USER = '11111111-1111-4111-8111-111111111111';
const JOB = '22222222-2222-4222-8222-222222222222';
const LIKED = '33333333-3333-4333-8333-333333333333';
const RATED_3 = '44444444-4444-4444-8444-444444444444';
const UNRATED = '55555555-5555-4555-8555-555555555555';

/** Statements that fill a version-1 database: a user, a job, three images, two of them rated. */
function version1Rows(): { sql: string; params: unknown[] }[] {
  const image = (id: string, seed: number, rating: string | null) => ({
    sql: `INSERT INTO images (id, job_id, user_id, seed, sha256, file_path, thumb_path, bytes, prompt, prompt_search, rewritten_prompt, params, profile, scores, embedding, attributes, explanation, rating, created_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
    params: [id, JOB, USER, seed, 'ab'.repeat(32), `ab/${seed}.png`, `ab/${seed}.webp`, 100, 'a red circle', 'a red circle', 'a red circle', '{}', null, '{}', '[0.6,0.8]', '["red"]', null, rating, 1000 + seed],
  });
  return [
    { sql: 'INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3)', params: [USER, 'Ada', 1] },
    { sql: 'INSERT INTO jobs (id, user_id, request, state, created_at) VALUES ($1, $2, $3, $4, $5)', params: [JOB, USER, '{}', 'completed', 2] },
    image(LIKED, 1, 'like'), image(RATED_3, 2, '3'), image(UNRATED, 3, null),
  ];
}

async function checkMigrated(store: SqlStore, columns: () => Promise<string[]>): Promise<void> {
  assert.equal((await store.getImage(USER, LIKED))?.rating, 'like');
  assert.equal((await store.getImage(USER, RATED_3))?.rating, 3);
  assert.equal((await store.getImage(USER, UNRATED))?.rating, undefined);
  assert.deepEqual((await store.listImages(USER, { rating: 'like' })).images.map((i) => i.id), [LIKED]);
  assert.deepEqual((await store.listImages(USER, { rating: 3 })).images.map((i) => i.id), [RATED_3]);
  assert.equal((await store.listImages(USER)).images.length, 3);
  assert.ok(!(await columns()).includes('rating'), 'the image row no longer carries the rating');
  // A new rating lands in the new table, and the filter finds it.
  await store.append(USER, [{ kind: 'rating', imageId: UNRATED, value: 'dislike', at: 5 }]);
  assert.deepEqual((await store.listImages(USER, { rating: 'dislike' })).images.map((i) => i.id), [UNRATED]);
}

describe('migrations keep the data of an earlier version', () => {
  it('sqlite: the ratings kept on the image rows move to the ratings table', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atelier-migrate-'));
    const file = join(dir, 'atelier.db');
    try {
      const db = new Database(file);
      db.exec(version1('sqlite'));
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      db.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run('001-initial.sql');
      for (const row of version1Rows()) db.prepare(row.sql.replace(/\$\d+/g, '?')).run(...row.params);
      db.close();
      const store = await openSqliteStore(file);
      try {
        await checkMigrated(store, async () => {
          const reader = new Database(file, { readonly: true });
          try {
            return reader.prepare<[], { name: string }>('SELECT name FROM pragma_table_info(\'images\')').all().map((c) => c.name);
          } finally {
            reader.close();
          }
        });
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('postgres: the ratings kept on the image rows move to the ratings table', async () => {
    const url = await ensurePostgres();
    const schema = `test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.query(`SET search_path TO ${schema}`);
      await admin.query(version1('postgres'));
      await admin.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      await admin.query("INSERT INTO schema_migrations VALUES (1, '001-initial.sql', 0)");
      for (const row of version1Rows()) await admin.query(row.sql, row.params);
      const store = await openPostgresStore(url, { schema, maxConnections: 2 });
      try {
        await checkMigrated(store, async () => (await admin.query(
          'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [schema, 'images'])).rows.map((r) => r.column_name as string));
      } finally {
        await store.close();
      }
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });
});
