// The PostgreSQL store against the store conformance suite, in a fresh schema per test.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore } from '../../../adapters/store/postgres.ts';
import { ensurePostgres } from '../../support/services.ts';
import { storeConformance } from './conformance.ts';

storeConformance('postgres', async () => {
  const url = await ensurePostgres();
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const store = await openPostgresStore(url, { schema, maxConnections: 4 });
  const admin = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await admin.connect();
  return {
    store,
    query: async (sql) => (await admin.query(sql)).rows,
    reopen: () => openPostgresStore(url, { schema, maxConnections: 2 }),
    cleanup: async () => {
      await store.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
});
