// The embedded mode across a restart: the in-process queue keeps nothing, so jobs the last
// process left unfinished are failed with the reason instead of reading "queued" forever.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildServices, readConfig } from '../../adapters/wire.ts';

test('embedded restart: unfinished jobs of the last run fail, saying why; finished ones are kept', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'atelier-restart-'));
  try {
    const config = readConfig({ DATA_DIR: dir });
    const first = await buildServices(config);
    const { user } = await first.store.createUser('ada');
    await first.store.createJob({ id: 'left-queued', userId: user.id, request: { prompt: 'a circle', n: 1 } });
    await first.store.createJob({ id: 'done', userId: user.id, request: { prompt: 'a circle', n: 1 } });
    await first.store.finishJob('done', 'completed');
    await first.close();

    const notes: string[] = [];
    const second = await buildServices(config, { onError: (e) => notes.push(String(e)) });
    try {
      const lost = await second.store.getJob(user.id, 'left-queued');
      assert.equal(lost?.state, 'failed');
      assert.match(lost!.error!, /server stopped before this job finished; submit it again/);
      assert.equal((await second.store.getJob(user.id, 'done'))?.state, 'completed');
      assert.equal(notes.length, 1);
      assert.match(notes[0]!, /1 job\(s\) left unfinished/);
    } finally {
      await second.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
