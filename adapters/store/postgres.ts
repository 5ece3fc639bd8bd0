// The scale-out store: PostgreSQL (DATABASE_URL) through a pg pool shared by API and worker
// processes. An optional schema keeps tenants, or test runs, apart in one database.
import pg from 'pg';
import { migrate } from './migrate.ts';
import { SqlStore } from './sql-store.ts';
import type { Row, SqlDriver, SqlExecutor } from './sql-driver.ts';

const INT8_OID = 20;

// Times and sequence numbers are BIGINT; all of them fit a double, so read them as numbers.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    all: async <T>(sql: string, params: readonly unknown[] = []) => (await client.query(numbered(sql), [...params])).rows as T[],
    run: async (sql, params = []) => (await client.query(numbered(sql), [...params])).rowCount ?? 0,
    exec: async (script) => void (await client.query(script)),
  };
}

class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres';
  private readonly direct: SqlExecutor;

  constructor(private readonly pool: pg.Pool) {
    this.direct = executor(pool);
  }

  all<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.direct.all<T>(sql, params);
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.direct.run(sql, params);
  }

  exec(script: string): Promise<void> {
    return this.direct.exec(script);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(executor(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

export interface PostgresStoreOptions {
  /** Created if missing; default: the connection's own search_path (usually public). */
  readonly schema?: string;
  readonly maxConnections?: number;
}

/** Connects and brings the schema up to date. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<SqlStore> {
  const { schema } = options;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new RangeError(`schema must be a lowercase SQL identifier, got ${JSON.stringify(schema)}`);
  if (schema) {
    const setup = new pg.Client({ connectionString: url });
    await setup.connect();
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await setup.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    types,
    ...(schema && { options: `-c search_path=${schema}` }),
  });
  // An idle client losing its connection (a database restart) must not crash the process.
  pool.on('error', (err) => console.error('postgres pool:', err.message));
  const driver = new PostgresDriver(pool);
  try {
    await migrate(driver);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return new SqlStore(driver);
}
