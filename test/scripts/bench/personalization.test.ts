// bench:personalization at toy size, so the benchmark cannot silently break: the judge on
// known renders, the whole protocol (2 users, 1 prompt, k = 2) through the real product, the
// report files, and the command line's --json. The numbers are not checked against the
// targets: that is the full run's job (npm run bench:personalization).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { loadJudge } from '../../../adapters/wire.ts';
import { FAMILY_VALUES } from '../../../scripts/bench/bench-world.ts';
import { runPersonalizationBench } from '../../../scripts/bench/personalization.ts';
import type { UserRun } from '../../../scripts/bench/personalization-protocol.ts';
import { writeReport } from '../../../scripts/bench/personalization-report.ts';
import type { PersonalizationSummary } from '../../../scripts/bench/personalization-summary.ts';
import { render } from '../../../scripts/world/render.ts';
import { vocabulary } from '../../../scripts/world/vocabulary.ts';
import { ROOT } from '../../helpers.ts';

const TOY = { users: 2, ks: [2], prompts: 1, pool: 8, candidates: 2, ablationK: 2, steps: 6, judgeSamples: 60, seed: 1, population: 3, communityChoices: 4 };
let out: string;
let summary: PersonalizationSummary;
let runs: UserRun[];

before(async () => {
  out = await mkdtemp(join(tmpdir(), 'atelier-bench-test-'));
  ({ summary, runs } = await runPersonalizationBench(TOY));
});
after(() => rm(out, { recursive: true, force: true }));

test('the judge reads every value of every family on known renders', async () => {
  const judge = await loadJudge(FAMILY_VALUES);
  try {
    const families = vocabulary.caption_order;
    const scenes = Array.from({ length: 24 }, (_, i) => Object.fromEntries(families.map((f, j) => [f, FAMILY_VALUES[f]![(i + j) % FAMILY_VALUES[f]!.length]!])));
    const read = await judge.classify(scenes.map((a, i) => render(a, 700_000 + i)));
    assert.deepEqual(read, scenes);
  } finally {
    await judge.release();
  }
});

test('the whole protocol runs: every user, variant and k compared against the same base', () => {
  assert.equal(runs.length, 2);
  const comparisons = runs.flatMap((r) => r.comparisons);
  assert.equal(comparisons.length, 2 * 1 * 4, 'one prompt, four variants at the ablation k');
  for (const r of runs) {
    const [first, ...rest] = r.comparisons;
    for (const c of rest) assert.deepEqual(c.base, first!.base, 'one base image per (user, seed)');
    assert.ok(r.comparisons.every((c) => [0, 0.5, 1].includes(c.score)));
    assert.ok(r.comparisons.every((c) => c.score === (c.utility.personalized > c.utility.base ? 1 : c.utility.personalized < c.utility.base ? 0 : 0.5)));
    assert.equal(r.comparisons.find((c) => c.variant === 'guidance')!.rewrittenPrompt, r.comparisons[0]!.prompt, 'the ablations switch the rewrite off');
    assert.ok(r.profiles['2']!.liked.length + r.profiles['2']!.disliked.length > 0, 'two choices teach the profile something');
    assert.equal(r.sheet.length, 1);
  }
  assert.match(comparisons[0]!.prompt, /^a (circle|square|triangle|cross)$/);
});

test('the summary has the issue\'s fields, in range', () => {
  assert.deepEqual(Object.keys(summary.win_rate), ['2']);
  const w = summary.win_rate['2']!;
  const [lo, hi] = summary.win_rate_ci['2']!;
  assert.ok(lo <= w && w <= hi && lo >= 0 && hi <= 1, JSON.stringify(summary.win_rate_ci));
  assert.ok(Object.values(summary.judge_accuracy).every((a) => a >= 0.95), JSON.stringify(summary.judge_accuracy));
  assert.deepEqual(Object.keys(summary.judge_accuracy).sort(), [...vocabulary.caption_order].sort());
  assert.equal(typeof summary.faithfulness_drop, 'number');
  assert.ok(summary.faithfulness.base >= 0 && summary.faithfulness.base <= 1);
  assert.equal(summary.ablations!.k, 2);
  for (const v of ['all', 'rewrite', 'guidance', 'rerank'] as const) assert.equal(summary.ablations![v]!.comparisons, 2);
  assert.equal(summary.ablations!.all!.win_rate, w, 'all together at the ablation k is the headline comparison');
  assert.ok(summary.cost.personalized_ms_per_image > 0 && summary.cost.base_ms_per_image > 0);
  assert.equal(Object.keys(summary.targets).length, 4);
});

test('the report: JSON, Markdown, two plots and a contact sheet', async () => {
  const files = await writeReport(out, summary, runs, { sheetUsers: 2 });
  const json = JSON.parse(await readFile(files[0]!, 'utf8'));
  assert.deepEqual(json.summary.win_rate, summary.win_rate);
  assert.equal(json.comparisons.length, 8);
  const md = await readFile(files[1]!, 'utf8');
  assert.match(md, /## Which parts carry the gain \(k = 2\)/);
  assert.match(md, /\| 2 \| \d+\.\d% \|/);
  for (const png of files.slice(2)) {
    const bytes = await readFile(png);
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], `${png} is a PNG`);
    assert.ok(bytes.length > 2000, `${png} has content`);
  }
});

test('the command line prints the summary with --json and reproduces a user from the seed', async () => {
  const args = ['--import', 'tsx', 'scripts/bench/personalization.ts', '--users', '1', '--k', '2', '--prompts', '1', '--pool', '8', '--candidates', '2',
    '--ablation-k', '2', '--steps', '6', '--judge-samples', '60', '--seed', '1', '--population', '3', '--community-choices', '4', '--json', '--out', join(out, 'cli')];
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: ROOT, timeout: 60_000 });
  const printed = JSON.parse(stdout);
  for (const key of ['win_rate', 'win_rate_ci', 'faithfulness_drop', 'judge_accuracy', 'ablations']) assert.ok(key in printed, key);
  assert.deepEqual(Object.keys(printed.win_rate), ['2']);
  const cli = JSON.parse(await readFile(join(out, 'cli', 'personalization.json'), 'utf8')).comparisons as UserRun['comparisons'];
  const strip = (cs: UserRun['comparisons']) => cs.map(({ ms: _ms, ...c }) => c);
  assert.deepEqual(strip(cli), JSON.parse(JSON.stringify(strip(runs[0]!.comparisons))), 'the same seed gives user 0 the same images and judgements');
});
