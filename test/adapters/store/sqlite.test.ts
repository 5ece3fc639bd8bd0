// The SQLite store against the store conformance suite, in a fresh temporary directory per test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../../adapters/store/sqlite.ts';
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
