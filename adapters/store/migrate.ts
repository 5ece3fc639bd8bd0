// Applies the numbered SQL files of migrations/<dialect>/ that a database has not seen yet, in
// order, in one transaction, under a lock: API and worker processes may open the same database
// at the same moment.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlDriver } from './sql-driver.ts';

const MIGRATIONS = join(import.meta.dirname, 'migrations');
// Any constant will do; it only has to be the same for every Atelier process.
const PG_LOCK_ID = 7_274_123;

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

function migrations(dialect: SqlDriver['dialect']): Migration[] {
  const dir = join(MIGRATIONS, dialect);
  return readdirSync(dir)
    .filter((f) => /^\d+-[\w-]+\.sql$/.test(f))
    .map((f) => ({ version: Number.parseInt(f, 10), name: f, sql: readFileSync(join(dir, f), 'utf8') }))
    .sort((a, b) => a.version - b.version);
}

/** Returns the versions it applied. */
export async function migrate(db: SqlDriver): Promise<number[]> {
  const pending = migrations(db.dialect);
  return db.transaction(async (tx) => {
    if (db.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(?)', [PG_LOCK_ID]);
    await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const done = new Set((await tx.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of pending) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
      applied.push(m.version);
    }
    return applied;
  });
}
