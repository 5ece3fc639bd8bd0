import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHOICE_COUNTS, DEFAULT_METHOD, METHODS, runPrefsBench } from '../../scripts/bench/prefs.ts';
import { vocabulary } from '../../scripts/world/vocabulary.ts';
import { StandInEmbedder } from './stand-in-embedder.ts';

// The benchmark at toy size, on the stand-in embedder: checks its shape and that learning
// shows, not the targets (those need the full run: npm run bench:prefs).
test('the preference benchmark reports accuracy per method and choice count, update and rerank times', async () => {
  const style = Object.fromEntries(Object.entries(vocabulary.families).filter(([, f]) => f.kind === 'style').map(([k, f]) => [k, f.values]));
  const summary = await runPrefsBench(new StandInEmbedder(vocabulary.palette, style), {
    testUsers: 6, trainUsers: 30, trainChoices: 32, poolSize: 96, heldOutPairs: 80, updateEvents: 200,
  });
  assert.deepEqual(Object.keys(summary.accuracy), CHOICE_COUNTS.map(String));
  assert.deepEqual(Object.keys(summary.methods), [...METHODS]);
  assert.deepEqual(summary.accuracy, summary.methods[DEFAULT_METHOD]);
  for (const acc of Object.values(summary.methods)) for (const v of Object.values(acc)) assert.ok(v >= 0 && v <= 1);
  const perUser = summary.methods['per-user']!;
  assert.ok(perUser['32']! > perUser['1']! + 0.1, `choices teach: ${JSON.stringify(perUser)}`);
  assert.ok(summary.update_p99_ms > 0 && summary.update_p99_ms < 50);
  assert.ok(summary.rerank_ms > 0 && summary.rerank_ms < 5);
  assert.equal(JSON.parse(JSON.stringify(summary)).setup.dim, 64);
});
