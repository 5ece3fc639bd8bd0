// The embedded store: one SQLite file (DATA_DIR/atelier.db) through better-sqlite3, in WAL mode
// so readers never wait for the writer. better-sqlite3 is synchronous and has one connection, so
// a mutex keeps other calls out while a transaction awaits between its statements.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrate.ts';
import { SqlStore } from './sql-store.ts';
import type { Row, SqlDriver, SqlExecutor } from './sql-driver.ts';

type Statement = Database.Statement<unknown[], Row>;

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite';
  private readonly statements = new Map<string, Statement>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly direct: SqlExecutor;

  constructor(private readonly db: Database.Database) {
    const params = (values: readonly unknown[]) => values.map((v) => (v === undefined ? null : v));
    this.direct = {
      all: async <T>(sql: string, values: readonly unknown[] = []) => {
        const stmt = this.prepare(sql);
        return (stmt.reader ? stmt.all(...params(values)) : (stmt.run(...params(values)), [])) as T[];
      },
      run: async (sql, values = []) => this.prepare(sql).run(...params(values)).changes,
      exec: async (script) => void this.db.exec(script),
    };
  }

  private prepare(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<unknown[], Row>(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => {});
    return result;
  }

  all<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.locked(() => this.direct.all<T>(sql, params));
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.locked(() => this.direct.run(sql, params));
  }

  exec(script: string): Promise<void> {
    return this.locked(() => this.direct.exec(script));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      // IMMEDIATE takes the write lock up front, so two processes cannot both read-then-write.
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.direct);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.locked(async () => this.db.close());
  }
}

/** Opens (creating if needed) the database file and brings its schema up to date. */
export async function openSqliteStore(file: string): Promise<SqlStore> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // In WAL mode NORMAL stays consistent after a crash of the process and skips an fsync per
  // commit; only a power loss can drop the last commits (SQLite's documented recommendation).
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Another process (a CLI run, a second worker) may hold the write lock for a moment.
  db.pragma('busy_timeout = 5000');
  const driver = new SqliteDriver(db);
  await migrate(driver);
  return new SqlStore(driver);
}
