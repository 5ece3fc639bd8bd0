// The benchmark's simulated users and its statistics: utility, judgement noise, seeds, win
// rates and their intervals. Pure code, no model.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeUsers, prefersFirst, sigmoid, STYLE, tasteFactors } from '../../../scripts/bench/simulated-users.ts';
import { outcome, wilson, winRate } from '../../../scripts/bench/win-rate.ts';
import { mulberry32 } from '../../../scripts/world/prng.ts';
import { vocabulary } from '../../../scripts/world/vocabulary.ts';

const population = (seed: number, count = 20, dislikeShare = 0.3) => {
  const r = mulberry32(seed);
  return makeUsers(count, tasteFactors(4, r), 0.3, r, { dislikeShare, dislikePenalty: 3 });
};

test('utility is the sum of the style values\' tastes; the shape does not count', () => {
  const [u] = population(1);
  const a = { shape: 'circle', colour: 'red', texture: 'stripes', background: 'teal', lighting: 'spot' };
  const expected = u!.taste['colour:red']! + u!.taste['texture:stripes']! + u!.taste['background:teal']! + u!.taste['lighting:spot']!;
  assert.ok(Math.abs(u!.utility(a) - expected) < 1e-12);
  assert.equal(u!.utility({ ...a, shape: 'cross' }), u!.utility(a));
  assert.equal(STYLE.length, 18);
  assert.ok(!STYLE.some((k) => k.startsWith('shape:')));
});

test('the same seed draws the same users; another seed draws others', () => {
  assert.deepEqual(population(7).map((u) => u.taste), population(7).map((u) => u.taste));
  assert.notDeepEqual(population(7).map((u) => u.taste), population(8).map((u) => u.taste));
});

test('tastes are not uniform, users differ, and some hold one strong dislike', () => {
  const users = population(3, 400);
  const spread = (u: (typeof users)[number], family: string) => {
    const t = vocabulary.families[family]!.values.map((v) => u.taste[`${family}:${v}`]!);
    return Math.max(...t) - Math.min(...t);
  };
  for (const family of ['colour', 'texture', 'background', 'lighting']) {
    const spreads = users.map((u) => spread(u, family)).sort((a, b) => a - b);
    assert.ok(spreads[200]! > 1, `${family}: the median user's best and worst values are far apart (${spreads[200]})`);
  }
  const red = users.map((u) => u.taste['colour:red']!);
  assert.ok(Math.max(...red) - Math.min(...red) > 3, 'users disagree');
  const disliking = users.filter((u) => u.strongDislike);
  assert.ok(disliking.length > 0.22 * users.length && disliking.length < 0.38 * users.length, `${disliking.length} of 400`);
  const lowestInFamily = disliking.filter((u) => {
    const family = u.strongDislike!.split(':')[0]!;
    return Object.entries(u.taste).filter(([k]) => k.startsWith(`${family}:`)).sort((a, b) => a[1] - b[1])[0]![0] === u.strongDislike;
  });
  assert.ok(lowestInFamily.length > 0.9 * disliking.length, `the strong dislike is nearly always the family's worst value (${lowestInFamily.length} of ${disliking.length})`);
  assert.ok(population(3, 50, 0).every((u) => !u.strongDislike));
});

test('judgement noise: a is picked with probability sigmoid((u_a - u_b) / temperature)', () => {
  const [u] = population(5);
  const a = { colour: 'red', texture: 'flat', background: 'white', lighting: 'even' };
  const b = { colour: 'blue', texture: 'flat', background: 'white', lighting: 'even' };
  const gap = u!.utility(a) - u!.utility(b);
  for (const temperature of [0.3, 1]) {
    const r = mulberry32(11);
    const n = 20_000;
    let wins = 0;
    for (let i = 0; i < n; i++) if (prefersFirst(u!, a, b, temperature, r)) wins++;
    assert.ok(Math.abs(wins / n - sigmoid(gap / temperature)) < 0.015, `T=${temperature}: ${wins / n} vs ${sigmoid(gap / temperature)}`);
  }
  const r = mulberry32(12);
  assert.ok(Array.from({ length: 200 }, () => prefersFirst(u!, a, b, 1e-9, r)).every((x) => x === gap > 0), 'no noise: the higher utility wins');
});

test('outcomes: win 1, loss 0, tie 1/2', () => {
  assert.equal(outcome(2, 1), 1);
  assert.equal(outcome(1, 2), 0);
  assert.equal(outcome(1.5, 1.5), 0.5);
});

test('Wilson interval matches known values', () => {
  const [lo, hi] = wilson(8, 10);
  assert.ok(Math.abs(lo - 0.49016) < 1e-4 && Math.abs(hi - 0.94332) < 1e-4, `${lo} ${hi}`);
  assert.deepEqual(wilson(0, 0), [0, 1]);
});

test('win rate: bootstrap over users, wider than Wilson when users disagree', () => {
  const all = winRate([[1, 1], [1, 0.5], [1, 1]]);
  assert.ok(Math.abs(all.rate - 5.5 / 6) < 1e-12);
  assert.equal(all.ties, 1);
  assert.ok(all.ci[0] <= all.rate && all.rate <= all.ci[1]);
  assert.deepEqual(winRate([[1, 1], [1]]).ci, [1, 1]);
  // Half the users always win, half always lose: comparisons within a user are not independent.
  const split = winRate(Array.from({ length: 10 }, (_, i) => Array(10).fill(i % 2)));
  assert.equal(split.rate, 0.5);
  assert.ok(split.ci[1] - split.ci[0] > 1.5 * (split.wilson[1] - split.wilson[0]), JSON.stringify(split));
  assert.deepEqual(winRate([[1, 0], [0.5]], { seed: 3 }), winRate([[1, 0], [0.5]], { seed: 3 }));
});
