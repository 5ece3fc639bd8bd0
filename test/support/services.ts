// Real Redis and PostgreSQL for the conformance suites. CI runs `npm test` on a clean machine, so
// each is started here if its port is closed; starting twice is harmless (idempotent, memoized).
import { execSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

async function waitForPort(port: number, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not open port ${port} within ${timeoutMs} ms`);
}

let redis: Promise<string> | undefined;
let postgres: Promise<string> | undefined;

/** Starts redis-server on 127.0.0.1:6379 unless something already listens there. */
export function ensureRedis(): Promise<string> {
  redis ??= (async () => {
    if (await portOpen(6379)) return REDIS_URL;
    mkdirSync('/var/lib/redis', { recursive: true });
    mkdirSync('/var/log/redis', { recursive: true });
    execSync('redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log', { stdio: 'inherit' });
    await waitForPort(6379, 'redis-server');
    return REDIS_URL;
  })();
  return redis;
}

/** Starts the Debian PostgreSQL cluster unless something already listens on 5432. */
export function ensurePostgres(): Promise<string> {
  postgres ??= (async () => {
    if (await portOpen(5432)) return DATABASE_URL;
    const version = readdirSync('/etc/postgresql')[0];
    if (!version) throw new Error('no PostgreSQL cluster under /etc/postgresql');
    execSync(`pg_ctlcluster --skip-systemctl-redirect ${version} main start`, { stdio: 'inherit' });
    await waitForPort(5432, 'PostgreSQL');
    return DATABASE_URL;
  })();
  return postgres;
}
