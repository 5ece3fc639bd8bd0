// Configuration from the environment, and the admin key kept across restarts.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ADMIN_KEY_FILE, AdminKey } from '../../adapters/admin-key.ts';
import { ConfigError, modeOf, readConfig } from '../../adapters/config.ts';

describe('readConfig', () => {
  it('defaults to embedded, on ./data, port 3000, one job at a time', () => {
    const c = readConfig({}, { cwd: '/srv/atelier' });
    assert.equal(modeOf(c), 'embedded');
    assert.equal(c.dataDir, '/srv/atelier/data');
    assert.equal(c.port, 3000);
    assert.equal(c.concurrency, 1);
    assert.deepEqual(c.webhookAllow, []);
    assert.equal(c.adminKey, undefined);
  });

  it('is scale-out with both REDIS_URL and DATABASE_URL; API nodes then run no jobs, workers one', () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'postgres://u:secret@db/atelier' };
    assert.equal(modeOf(readConfig(env)), 'scale-out');
    assert.equal(readConfig(env).concurrency, 0);
    assert.equal(readConfig(env, { role: 'worker' }).concurrency, 1);
    assert.equal(readConfig({ ...env, ATELIER_CONCURRENCY: '3' }).concurrency, 3);
  });

  it('refuses half a scale-out setup and bad values, naming the variable and never echoing a secret', () => {
    const bad: [Record<string, string>, string][] = [
      [{ REDIS_URL: 'redis://x' }, 'DATABASE_URL'],
      [{ DATABASE_URL: 'postgres://x' }, 'REDIS_URL'],
      [{ REDIS_URL: 'http://x', DATABASE_URL: 'postgres://x' }, 'REDIS_URL'],
      [{ REDIS_URL: 'redis://x', DATABASE_URL: 'mysql://root:hunter2@db' }, 'DATABASE_URL'],
      [{ PORT: '70000' }, 'PORT'],
      [{ PORT: 'eighty' }, 'PORT'],
      [{ ATELIER_ADMIN_KEY: 'short' }, 'ATELIER_ADMIN_KEY'],
      [{ ATELIER_WEBHOOK_ALLOW: '127.0.0.1,localhost' }, 'ATELIER_WEBHOOK_ALLOW'],
      [{ ATELIER_WEBHOOK_ALLOW: '10.0.0.0/33' }, 'ATELIER_WEBHOOK_ALLOW'],
      [{ ATELIER_DEVICE: 'tpu' }, 'ATELIER_DEVICE'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ ATELIER_PG_SCHEMA: 'Robert; DROP TABLE' }, 'ATELIER_PG_SCHEMA'],
    ];
    for (const [env, variable] of bad) {
      assert.throws(() => readConfig(env), (e: unknown) => e instanceof ConfigError && e.variable === variable && !e.message.includes('hunter2'), JSON.stringify(env));
    }
    assert.deepEqual(readConfig({ ATELIER_WEBHOOK_ALLOW: '127.0.0.1, 10.0.0.0/8,::1' }).webhookAllow, ['127.0.0.1', '10.0.0.0/8', '::1']);
  });
});

describe('AdminKey', () => {
  it('is generated once, shown once, kept only as a hash, and the same after a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'atelier-admin-'));
    try {
      const shown: string[] = [];
      const announce = (key: string) => shown.push(key);
      const first = await AdminKey.resolve({ dataDir, announce });
      assert.equal(shown.length, 1);
      const key = shown[0]!;
      assert.ok(first.verify(key));
      const stored = await readFile(join(dataDir, ADMIN_KEY_FILE), 'utf8');
      assert.ok(!stored.includes(key) && /^[0-9a-f]{64}\n$/.test(stored), 'only the SHA-256 is on disk');
      const again = await AdminKey.resolve({ dataDir, announce });
      assert.equal(shown.length, 1, 'not shown again');
      assert.ok(again.verify(key));
      assert.ok(!again.verify(`${key}x`) && !again.verify('') && !again.verify(undefined));
      const configured = await AdminKey.resolve({ key: 'from-the-environment-1234', dataDir, announce });
      assert.ok(configured.verify('from-the-environment-1234') && !configured.verify(key));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('gives one key to nodes starting together on a shared DATA_DIR', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'atelier-admin-'));
    try {
      const shown: string[] = [];
      const keys = await Promise.all(Array.from({ length: 5 }, () => AdminKey.resolve({ dataDir, announce: (k) => shown.push(k) })));
      assert.equal(shown.length, 1);
      assert.ok(keys.every((k) => k.verify(shown[0]!)));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
