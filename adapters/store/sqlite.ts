// The embedded store: one SQLite file (DATA_DIR/atelier.db) through better-sqlite3, in WAL mode
// so readers never wait for the writer. better-sqlite3 is synchronous and has one connection, so
// a mutex keeps other calls out while a transaction awaits between its statements.
//
// Group commit: a COMMIT (the WAL write) costs more than the few statements of a typical
// transaction, so concurrent transactions share one. The first opens BEGIN IMMEDIATE; each runs
// in a savepoint of its own (a failure rolls back that one alone). The group stays open while it
// grows: it commits after the first event-loop turn in which no transaction joined it (so a lone
// transaction waits two turns), after MAX_TURNS turns, or at once at MAX_GROUP transactions.
// Every transaction and write of the group resolves only after its COMMIT: nothing is reported
// stored before it is. Reads on the connection meanwhile see the group's writes, as they would
// once committed. (Committing at the next turn instead made groups a third as large under load,
// 3.3 transactions per COMMIT against 9.7, and the rating bench's ratio 0.245 against 0.29-0.30:
// docs/results.md.)
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrate.ts';
import { SqlStore } from './sql-store.ts';
import type { Row, SqlDriver, SqlExecutor } from './sql-driver.ts';

type Statement = Database.Statement<unknown[], Row>;

/** Transactions per COMMIT at most; past it the group commits at once. */
const MAX_GROUP = 256;
/** Event-loop turns a growing group stays open at most. */
const MAX_TURNS = 8;

/** The transactions of one COMMIT; `committed` settles when it has run. */
interface Group {
  readonly committed: Promise<void>;
  readonly settle: (err?: unknown) => void;
  size: number;
}

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite';
  private readonly statements = new Map<string, Statement>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly direct: SqlExecutor;
  private group: Group | undefined;

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
    // A statement that writes (RETURNING) is a transaction of its own, so it waits for the COMMIT.
    if (!this.prepare(sql).readonly) return this.transaction((tx) => tx.all<T>(sql, params));
    return this.locked(() => this.direct.all<T>(sql, params));
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.transaction((tx) => tx.run(sql, params));
  }

  exec(script: string): Promise<void> {
    return this.transaction((tx) => tx.exec(script));
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const { result, committed } = await this.locked(async () => {
      const group = this.group ?? this.openGroup();
      group.size++;
      this.prepare('SAVEPOINT atelier').run();
      try {
        const result = await fn(this.direct);
        this.prepare('RELEASE atelier').run();
        return { result, committed: group.committed };
      } catch (err) {
        // Some errors (disk full, I/O) end the whole transaction; then the group is lost.
        if (this.db.inTransaction) this.db.exec('ROLLBACK TO atelier; RELEASE atelier');
        else this.endGroup(group, err);
        throw err;
      } finally {
        if (group.size >= MAX_GROUP) this.commit(group);
      }
    });
    await committed;
    return result;
  }

  private openGroup(): Group {
    // IMMEDIATE takes the write lock up front, so two processes cannot both read-then-write.
    this.db.exec('BEGIN IMMEDIATE');
    let settle!: Group['settle'];
    const committed = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
    committed.catch(() => {}); // a group whose transactions all failed has nobody waiting
    const group: Group = { committed, settle, size: 0 };
    this.group = group;
    let seen = 0;
    let turns = 0;
    const turn = () => setImmediate(() => {
      if (this.group !== group) return; // committed already (MAX_GROUP)
      if (++turns > 1 && (group.size === seen || turns >= MAX_TURNS)) return void this.locked(async () => this.commit(group));
      seen = group.size;
      turn();
    });
    turn();
    return group;
  }

  private commit(group: Group): void {
    if (this.group !== group) return;
    try {
      this.db.exec('COMMIT');
      this.endGroup(group);
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.endGroup(group, err);
    }
  }

  private endGroup(group: Group, err?: unknown): void {
    if (this.group === group) this.group = undefined;
    group.settle(err === undefined ? undefined : new Error('the transaction was not committed', { cause: err }));
  }

  async close(): Promise<void> {
    await this.locked(async () => {
      if (this.group) this.commit(this.group);
      this.db.close();
    });
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
