// Bradley-Terry preference vector with a Gaussian prior, fitted by Newton's method (full
// refit) or updated one observation at a time (online Laplace / assumed-density filtering).
//
// Model: P(a preferred to b) = sigmoid(w . (phi(a) - phi(b))), phi the normalized image
// embedding ("Fast Adaptation with Bradley-Terry"; REFERENCE.md). A pair is an observation
// x = phi(a) - phi(b) with target 1; a rating is a pointwise logistic term with
// x = phi(img) - center and a soft target in [0, 1]. The posterior over w is kept as a
// Gaussian N(mean, covariance): the mean is the profile's w_u, the covariance tells
// onboarding where the fit is unsure.
import { covarianceWork } from './kernels/covariance.ts';
import { choleskyInverse, choleskyRobust, choleskySolve, dot, isFiniteArray, matVec, type Mat, type Vec } from './linalg.ts';

export interface Observation {
  readonly x: ArrayLike<number>;
  /** Probability that the observation's "a" side wins: 1 for a choice, in [0, 1] for a rating. */
  readonly target: number;
  readonly weight: number;
}

export interface GaussianBelief {
  readonly dim: number;
  readonly mean: Vec;
  /** D x D, row-major. */
  readonly covariance: Mat;
}

export interface GaussianPrior {
  readonly dim: number;
  readonly mean: Vec;
  readonly covariance: Mat;
  readonly precision: Mat;
}

export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
/** log(1 + e^z) without overflow. */
const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

export function beliefFromPrior(prior: GaussianPrior): GaussianBelief {
  return { dim: prior.dim, mean: prior.mean.slice(), covariance: prior.covariance.slice() };
}

/**
 * MAP fit: minimize 1/2 (w-m0)' P0 (w-m0) + sum_i weight_i [softplus(z_i) - t_i z_i],
 * z_i = w . x_i (the negative log posterior), by damped Newton. Strictly convex, so it
 * converges from the prior mean; the Laplace covariance is the inverse Hessian there.
 */
export function fitBradleyTerry(data: readonly Observation[], prior: GaussianPrior, options: { maxIterations?: number; tolerance?: number; start?: ArrayLike<number> } = {}): GaussianBelief & { iterations: number } {
  const d = prior.dim;
  const maxIterations = options.maxIterations ?? 30;
  const tolerance = options.tolerance ?? 1e-7;
  const p0 = prior.precision;
  // Observations are sparse where the attribute indicators are (a choice differs in a few
  // attributes): each keeps its non-zero coordinates, so the Hessian costs nnz^2, not D^2.
  const sparse = data.map((o) => toSparse(o.x));
  const objective = (w: Vec): number => {
    const diff = w.map((v, i) => v - prior.mean[i]!);
    let f = dot(diff, matVec(p0, diff, d)) / 2;
    data.forEach((o, k) => {
      const z = sparseDot(w, sparse[k]!);
      f += o.weight * (softplus(z) - o.target * z);
    });
    return f;
  };
  // Any start reaches the same optimum (the objective is strictly convex); one near it (the
  // online estimate, for a refit) takes fewer Newton steps than the prior mean.
  let w = options.start && options.start.length === d && isFiniteArray(options.start) ? Float64Array.from(options.start) : prior.mean.slice();
  let hessian: Mat = p0;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const diff = w.map((v, i) => v - prior.mean[i]!);
    const grad = matVec(p0, diff, d);
    hessian = p0.slice();
    data.forEach((o, k) => {
      const { index, value } = sparse[k]!;
      const p = sigmoid(sparseDot(w, sparse[k]!));
      const g = o.weight * (p - o.target);
      const h = o.weight * p * (1 - p);
      for (let a = 0; a < index.length; a++) {
        const i = index[a]!;
        const xi = value[a]!;
        grad[i] = grad[i]! + g * xi;
        const hx = h * xi;
        const row = i * d;
        // index is ascending, so b <= a fills the lower triangle.
        for (let b = 0; b <= a; b++) hessian[row + index[b]!] = hessian[row + index[b]!]! + hx * value[b]!;
      }
    });
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) hessian[j * d + i] = hessian[i * d + j]!;
    const step = choleskySolve(choleskyRobust(hessian, d), grad, d);
    // Backtracking (Armijo) keeps each step a descent even far from the optimum.
    const f0 = objective(w);
    const slope = dot(grad, step);
    let alpha = 1;
    let next = w;
    for (let k = 0; k < 30; k++) {
      next = w.map((v, i) => v - alpha * step[i]!);
      if (objective(next) <= f0 - 1e-4 * alpha * slope) break;
      alpha /= 2;
    }
    const moved = Math.max(...step.map((s) => Math.abs(alpha * s)));
    w = next;
    if (moved < tolerance) {
      iterations++;
      break;
    }
  }
  // Hessian at the final w (the loop's last one is one step behind; the difference is below tolerance).
  const covariance = choleskyInverse(choleskyRobust(hessian, d), d);
  if (!isFiniteArray(w) || !isFiniteArray(covariance)) throw new Error('Bradley-Terry fit diverged (non-finite values)');
  return { dim: d, mean: w, covariance, iterations };
}

interface Sparse {
  readonly index: Int32Array;
  readonly value: Float64Array;
}

function toSparse(x: ArrayLike<number>): Sparse {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) n++;
  const index = new Int32Array(n);
  const value = new Float64Array(n);
  for (let i = 0, k = 0; i < x.length; i++) {
    if (x[i] !== 0) {
      index[k] = i;
      value[k++] = x[i]!;
    }
  }
  return { index, value };
}

function sparseDot(w: ArrayLike<number>, x: Sparse): number {
  let s = 0;
  for (let k = 0; k < x.index.length; k++) s += w[x.index[k]!]! * x.value[k]!;
  return s;
}

/**
 * One observation folded into the belief: the exact MAP of N(mean, S) times the new
 * logistic term, and its Laplace covariance. The MAP lies on mean + s * S x (the new
 * term's gradient is along x), so a scalar Newton solve finds s:
 *   s = -weight * (sigmoid(z0 + s q) - t),  z0 = mean . x,  q = x' S x.
 * The covariance follows by Sherman-Morrison:
 *   S' = S - h (S x)(S x)' / (1 + h q),  h = weight * p (1 - p) at the new mean.
 * O(D^2), independent of how many events came before.
 */
export function updateBelief(belief: GaussianBelief, o: Observation): GaussianBelief {
  const next = { dim: belief.dim, mean: belief.mean.slice(), covariance: belief.covariance.slice() };
  updateBeliefInPlace(next, o);
  return next;
}

/**
 * updateBelief, written into the belief's own arrays: no D x D allocation per event (at D = 156
 * allocating the new covariance cost more than computing it). For a belief nothing else reads,
 * such as a cache's. Throws before writing anything if the update would not be finite.
 */
export function updateBeliefInPlace(belief: GaussianBelief, o: Observation): void {
  const d = belief.dim;
  if (o.x.length !== d) throw new RangeError(`observation has ${o.x.length} dimensions; the belief ${d}`);
  // The two O(D^2) loops, S x and the downdate, are the whole cost of an update: on the SIMD
  // kernel (kernels/covariance.ts), which gives the same numbers as the JavaScript loops.
  const work = covarianceWork(belief.covariance, d);
  let nonZero = 0;
  for (let i = 0; i < d; i++) if (o.x[i] !== 0) nonZero++;
  // S x over x's non-zero coordinates when it has few (a choice differs in a few attributes).
  const sx = nonZero > d / 2 ? work.times(o.x) : sparseTimes(belief.covariance, d, toSparse(o.x));
  let q = 0;
  let z0 = 0;
  for (let i = 0; i < d; i++) {
    const xi = o.x[i]!;
    if (xi !== 0) {
      q += sx[i]! * xi;
      z0 += belief.mean[i]! * xi;
    }
  }
  q = Math.max(0, q);
  let s = 0;
  for (let k = 0; k < 20; k++) {
    const p = sigmoid(z0 + s * q);
    const f = s + o.weight * (p - o.target);
    const df = 1 + o.weight * p * (1 - p) * q;
    const delta = f / df;
    s -= delta;
    if (Math.abs(delta) < 1e-12) break;
  }
  const p = sigmoid(z0 + s * q);
  const h = o.weight * p * (1 - p);
  const k = h / (1 + h * q);
  if (!Number.isFinite(s) || !Number.isFinite(k) || !isFiniteArray(sx)) throw new Error('online update produced non-finite values; the belief was left as it was');
  const mean = belief.mean;
  for (let i = 0; i < d; i++) mean[i] = mean[i]! + s * sx[i]!;
  work.downdate(sx, k);
}

function sparseTimes(cov: Mat, d: number, x: Sparse): Float64Array {
  const sx = new Float64Array(d);
  for (let i = 0; i < d; i++) sx[i] = sparseDot(cov.subarray(i * d, (i + 1) * d), x);
  return sx;
}

/** Predictive P(a over b) for x = phi(a) - phi(b), with MacKay's probit correction for the uncertainty in w. */
export function predictPreference(belief: GaussianBelief, x: ArrayLike<number>): { p: number; mean: number; variance: number } {
  const mean = dot(belief.mean, x);
  const variance = Math.max(0, dot(x, matVec(belief.covariance, x, belief.dim)));
  return { p: sigmoid(mean / Math.sqrt(1 + (Math.PI * variance) / 8)), mean, variance };
}
