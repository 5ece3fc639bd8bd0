import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitBradleyTerry, type Observation } from '../../prefs/bradley-terry.ts';
import { cosine, dot, norm } from '../../prefs/linalg.ts';
import { fitPopulationPrior, isotropicPrior, makePrior, priorFromJson, priorToJson } from '../../prefs/prior.ts';
import { gaussian, seededRng, type Rng } from '../../prefs/random.ts';

const D = 12;
const unit = (r: Rng) => { const v = Array.from({ length: D }, () => gaussian(r)); const k = norm(v); return v.map((x) => x / k); };

/** Users whose w = mean + 3 (c1 b1 + c2 b2) + small residual: a population with 2 shared taste directions. */
function population(seed: number) {
  const r = seededRng(seed);
  const b1 = unit(r), b2 = unit(r), mean = unit(r).map((v) => v * 2);
  const user = () => { const c1 = gaussian(r), c2 = gaussian(r); return mean.map((m, i) => m + 3 * (c1 * b1[i]! + c2 * b2[i]!) + 0.2 * gaussian(r)); };
  const choices = (w: number[], n: number): Observation[] => Array.from({ length: n }, () => {
    const a = unit(r), b = unit(r);
    const x = a.map((v, i) => v - b[i]!);
    return { x: r() < 1 / (1 + Math.exp(-dot(w, x))) ? x : x.map((v) => -v), target: 1, weight: 1 };
  });
  return { b1, b2, mean, user, choices };
}

test('with no data a user gets the population mean, and shrinks toward it with little data', () => {
  const prior = makePrior({ dim: 3, mean: [1, -2, 0.5], basis: [[1, 0, 0]], residualVariance: 0.1 });
  assert.deepEqual([...fitBradleyTerry([], prior).mean], [1, -2, 0.5]);
  // One choice moves w mostly along the basis (where the population varies), barely elsewhere.
  const one = fitBradleyTerry([{ x: [0.5, 0.5, 0], target: 1, weight: 1 }], prior);
  assert.ok(one.mean[0]! - 1 > 5 * Math.abs(one.mean[1]! + 2), `along B: ${[...one.mean]}`);
});

test('the low-rank prior learns the shared directions and serves new users with few choices', () => {
  const pop = population(11);
  const users = Array.from({ length: 120 }, () => pop.choices(pop.user(), 60));
  const prior = fitPopulationPrior(users, D, { rank: 2 });
  // The basis spans b1, b2: each true direction is (almost) inside it.
  for (const b of [pop.b1, pop.b2]) {
    const inside = Math.hypot(...prior.basis.map((v) => dot(v, b) / norm(v)));
    assert.ok(inside > 0.9, `direction captured: ${inside}`);
  }
  assert.ok(cosine(prior.mean, pop.mean) > 0.8, `population mean: ${cosine(prior.mean, pop.mean)}`);
  assert.ok(prior.residualVariance < 1, `residual shrunk: ${prior.residualVariance}`);
  // New users, 4 choices each: the prior beats a plain ridge fit of the same choices.
  const ridge = isotropicPrior(D, prior.covariance.reduce((s, v, i) => (i % (D + 1) === 0 ? s + v : s), 0) / D);
  let withPrior = 0, without = 0;
  for (let u = 0; u < 40; u++) {
    const w = pop.user();
    const data = pop.choices(w, 4);
    withPrior += cosine(fitBradleyTerry(data, prior).mean, w);
    without += cosine(fitBradleyTerry(data, ridge).mean, w);
  }
  assert.ok(withPrior > without + 4, `mean cos ${withPrior / 40} vs ${without / 40}`);
});

test('priors validate their parameters and survive a JSON round trip', () => {
  assert.throws(() => makePrior({ dim: 2, residualVariance: 0 }), /residualVariance must be > 0/);
  assert.throws(() => makePrior({ dim: 2, mean: [1], residualVariance: 1 }), /mean must be 2 finite numbers/);
  assert.throws(() => makePrior({ dim: 2, basis: [[1, NaN]], residualVariance: 1 }), /basis vector must be 2 finite numbers/);
  assert.throws(() => fitPopulationPrior([[]], 2), /at least 2 users/);
  const p = makePrior({ dim: 2, mean: [1, 2], basis: [[0.5, 0.5]], residualVariance: 0.3, center: [0.1, 0] });
  const q = priorFromJson(JSON.parse(JSON.stringify(priorToJson(p))));
  assert.deepEqual([...q.precision], [...p.precision]);
  // precision is the inverse of covariance
  const c = p.covariance, m = p.precision;
  assert.ok(Math.abs(c[0]! * m[0]! + c[1]! * m[2]! - 1) < 1e-12 && Math.abs(c[0]! * m[1]! + c[1]! * m[3]!) < 1e-12);
});
