import assert from 'node:assert/strict';
import { test } from 'node:test';
import { updateBelief, type GaussianBelief } from '../../prefs/bradley-terry.ts';
import { PrefsInputError } from '../../prefs/errors.ts';
import { nextPair } from '../../prefs/onboarding.ts';

const belief = (variances: number[], mean = variances.map(() => 0)): GaussianBelief => {
  const d = variances.length;
  const covariance = new Float64Array(d * d);
  variances.forEach((v, i) => (covariance[i * d + i] = v));
  return { dim: d, mean: Float64Array.from(mean), covariance };
};

const candidates = [
  { id: 'x+', embedding: [1, 0, 0] }, { id: 'x-', embedding: [-1, 0, 0] },
  { id: 'y+', embedding: [0, 1, 0] }, { id: 'y-', embedding: [0, -1, 0] },
];

test('the next pair is the one the fit is least sure of, along its least known direction', () => {
  const pair = nextPair(belief([0.1, 5, 0.1]), candidates)!;
  assert.deepEqual([pair.a, pair.b], ['y+', 'y-']);
  assert.ok(pair.information > 0 && Math.abs(pair.p - 0.5) < 1e-9);
  // Where the fit is already confident (mean far from 0), a 50/50 pair elsewhere is worth more.
  const confident = nextPair(belief([5, 5, 0.1], [20, 0, 0]), candidates)!;
  assert.deepEqual([confident.a, confident.b], ['y+', 'y-']);
  // Pairs already judged are not asked again.
  const again = nextPair(belief([0.1, 5, 0.1]), candidates, new Set(['y-|y+']))!;
  assert.notDeepEqual([again.a, again.b].sort(), ['y+', 'y-']);
});

test('answers make the same question less informative, and the order is deterministic', () => {
  let b = belief([1, 1, 1]);
  const first = nextPair(b, candidates)!;
  assert.deepEqual([first.a, first.b], ['x+', 'x-'], 'ties go to the earlier pair');
  for (let i = 0; i < 5; i++) b = updateBelief(b, { x: [2, 0, 0], target: 1, weight: 1 });
  const after = nextPair(b, candidates)!;
  assert.deepEqual([after.a, after.b], ['y+', 'y-']);
  assert.equal(nextPair(b, candidates.slice(0, 1)), undefined, 'no pair from one image');
  assert.throws(() => nextPair(b, [{ id: 'bad', embedding: [1] }, candidates[0]!]), PrefsInputError);
});
