import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitBradleyTerry, predictPreference, updateBelief, updateBeliefInPlace, type GaussianBelief, type Observation } from '../../prefs/bradley-terry.ts';
import { cosine, matVec, norm, topEigen } from '../../prefs/linalg.ts';
import { isotropicPrior } from '../../prefs/prior.ts';
import { gaussian, seededRng } from '../../prefs/random.ts';

/** Pairs of random unit embeddings judged by sigmoid(w . (phi_a - phi_b)). */
function synthetic(w: number[], n: number, seed: number): Observation[] {
  const r = seededRng(seed);
  const unit = () => { const v = w.map(() => gaussian(r)); const k = norm(v); return v.map((x) => x / k); };
  return Array.from({ length: n }, () => {
    const a = unit(), b = unit();
    const x = a.map((v, i) => v - b[i]!);
    const aWins = r() < 1 / (1 + Math.exp(-x.reduce((s, v, i) => s + v * w[i]!, 0)));
    return { x: aWins ? x : x.map((v) => -v), target: 1, weight: 1 };
  });
}

const trueW = [3, -2, 1.5, 0, 0.5, -1, 2, -0.5];

test('the Bradley-Terry fit recovers a known w from its own choices', () => {
  const fit = fitBradleyTerry(synthetic(trueW, 4000, 1), isotropicPrior(8, 100));
  assert.ok(cosine(fit.mean, trueW) > 0.98, `direction: cos = ${cosine(fit.mean, trueW)}`);
  assert.ok(Math.abs(norm(fit.mean) / norm(trueW) - 1) < 0.15, `scale: |w| = ${norm(fit.mean)} vs ${norm(trueW)}`);
  assert.ok(fit.iterations < 30, 'Newton converges');
  // Laplace covariance: symmetric, positive on the diagonal, shrinking with data.
  const few = fitBradleyTerry(synthetic(trueW, 50, 2), isotropicPrior(8, 100));
  assert.ok(few.covariance[0]! > fit.covariance[0]! && fit.covariance[0]! > 0);
  assert.equal(fit.covariance[1], fit.covariance[8]);
});

test('ratings enter as pointwise logistic terms with soft targets', () => {
  // A like of x1 and a dislike of x2 rank x1 above x2; a 3-star (target 1/2) pulls nothing.
  const prior = isotropicPrior(2, 1);
  const fit = fitBradleyTerry([{ x: [1, 0], target: 1, weight: 1 }, { x: [0, 1], target: 0, weight: 1 }], prior);
  assert.ok(fit.mean[0]! > 0.2 && fit.mean[1]! < -0.2);
  const neutral = fitBradleyTerry([{ x: [1, 0], target: 0.5, weight: 1 }], prior);
  assert.ok(Math.abs(neutral.mean[0]!) < 1e-9);
});

test('online updates track the full refit', () => {
  const data = synthetic(trueW, 300, 3);
  const prior = isotropicPrior(8, 4);
  let online: GaussianBelief = { dim: 8, mean: prior.mean.slice(), covariance: prior.covariance.slice() };
  for (const o of data) online = updateBelief(online, o);
  const full = fitBradleyTerry(data, prior);
  assert.ok(cosine(online.mean, full.mean) > 0.995, `cos = ${cosine(online.mean, full.mean)}`);
  assert.ok(Math.abs(norm(online.mean) / norm(full.mean) - 1) < 0.1);
  // One update is exact on its own: the MAP of a Gaussian prior times one logistic term.
  const one = updateBelief({ dim: 8, mean: prior.mean.slice(), covariance: prior.covariance.slice() }, data[0]!);
  const ref = fitBradleyTerry([data[0]!], prior);
  for (let i = 0; i < 8; i++) assert.ok(Math.abs(one.mean[i]! - ref.mean[i]!) < 1e-6);
});

test('the in-place update writes what updateBelief returns, and nothing when it would not be finite', () => {
  const data = synthetic(trueW, 40, 4);
  // Sparse observations too (a choice differs in a few attribute indicators).
  const sparse = data.map((o, k) => ({ ...o, x: Array.from(o.x, (v, i) => (i % 3 === k % 3 ? v : 0)) }));
  const prior = isotropicPrior(8, 2);
  let copied: GaussianBelief = { dim: 8, mean: prior.mean.slice(), covariance: prior.covariance.slice() };
  const owned: GaussianBelief = { dim: 8, mean: prior.mean.slice(), covariance: prior.covariance.slice() };
  for (const o of [...data, ...sparse]) {
    copied = updateBelief(copied, o);
    updateBeliefInPlace(owned, o);
  }
  assert.deepEqual(owned, copied);
  const before = { mean: owned.mean.slice(), covariance: owned.covariance.slice() };
  assert.throws(() => updateBeliefInPlace(owned, { x: [Number.NaN, 0, 0, 0, 0, 0, 0, 1], target: 1, weight: 1 }), /non-finite/);
  assert.throws(() => updateBeliefInPlace(owned, { x: [1, 2], target: 1, weight: 1 }), /2 dimensions/);
  assert.deepEqual(owned.mean, before.mean);
  assert.deepEqual(owned.covariance, before.covariance);
});

test('contradictory and endlessly repeated choices keep the fit finite', () => {
  const prior = isotropicPrior(2, 4);
  const ab = { x: [1, -1], target: 1, weight: 1 };
  const ba = { x: [-1, 1], target: 1, weight: 1 };
  const both = fitBradleyTerry(Array.from({ length: 100 }, (_, i) => (i % 2 ? ab : ba)), prior);
  assert.ok(Math.abs(predictPreference(both, ab.x).p - 0.5) < 1e-6, 'a > b and b > a as often: no preference');
  let online: GaussianBelief = { dim: 2, mean: prior.mean.slice(), covariance: prior.covariance.slice() };
  for (let i = 0; i < 1000; i++) online = updateBelief(online, ab);
  const full = fitBradleyTerry(Array.from({ length: 1000 }, () => ab), prior);
  for (const w of [online.mean, full.mean]) assert.ok(w.every(Number.isFinite) && norm(w) < 100, `bounded: ${[...w]}`);
  assert.ok(predictPreference(full, ab.x).p > 0.95);
});

test('topEigen finds the leading eigenpairs of a symmetric matrix', () => {
  // C = U diag(9, 4, 1, 0.1) U' for a rotation U.
  const d = 4;
  const r = seededRng(5);
  const u = Array.from({ length: d }, () => Array.from({ length: d }, () => gaussian(r)));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) { const p = u[i]!.reduce((s, v, k) => s + v * u[j]![k]!, 0); u[i] = u[i]!.map((v, k) => v - p * u[j]![k]!); }
    const n = norm(u[i]!); u[i] = u[i]!.map((v) => v / n);
  }
  const values = [9, 4, 1, 0.1];
  const c = new Float64Array(d * d);
  for (let k = 0; k < d; k++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) c[i * d + j] = c[i * d + j]! + values[k]! * u[k]![i]! * u[k]![j]!;
  const top = topEigen(c, d, 2);
  assert.ok(Math.abs(top.values[0]! - 9) < 1e-6 && Math.abs(top.values[1]! - 4) < 1e-6);
  assert.ok(Math.abs(Math.abs(cosine(top.vectors[0]!, u[0]!)) - 1) < 1e-6);
  assert.ok(Math.abs(cosine(matVec(c, top.vectors[1]!, d), top.vectors[1]!) - 1) < 1e-6);
});
