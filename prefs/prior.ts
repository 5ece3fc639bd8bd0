// The population prior over preference vectors, LoRe-style: w_u = mean + B c_u + r_u with
// c_u ~ N(0, I) (a few weights per user on a basis B shared by everyone) and a shrunk
// residual r_u ~ N(0, s^2 I). As a Gaussian prior that is N(mean, B B' + s^2 I), the
// probabilistic-PCA form (Tipping & Bishop 1999): with no history a user gets the
// population mean; a few choices move w mostly along B, where the population varies; many
// choices also fit the residual.
import { fitBradleyTerry, type GaussianPrior, type Observation } from './bradley-terry.ts';
import { choleskyInverse, choleskyRobust, dot, identity, isFiniteArray, matVec, topEigen, type Mat, type Vec } from './linalg.ts';

export interface PopulationPrior extends GaussianPrior {
  /** Columns of B, each scaled by its standard deviation. */
  readonly basis: readonly Vec[];
  readonly residualVariance: number;
  /** Reference image embedding for pointwise ratings (the population's mean image). */
  readonly center: Vec;
}

/** Plain-data form, for storing a fitted prior next to the model pack. */
export interface PopulationPriorJson {
  readonly dim: number;
  readonly mean: number[];
  readonly basis: number[][];
  readonly residualVariance: number;
  readonly center: number[];
}

export function makePrior(spec: { dim: number; mean?: ArrayLike<number>; basis?: readonly ArrayLike<number>[]; residualVariance: number; center?: ArrayLike<number> }): PopulationPrior {
  const d = spec.dim;
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`prior dim must be a positive integer, got ${d}`);
  if (!(spec.residualVariance > 0) || !Number.isFinite(spec.residualVariance)) throw new RangeError(`residualVariance must be > 0, got ${spec.residualVariance}`);
  const vec = (v: ArrayLike<number> | undefined, what: string): Vec => {
    if (v === undefined) return new Float64Array(d);
    if (v.length !== d || !isFiniteArray(v)) throw new RangeError(`prior ${what} must be ${d} finite numbers`);
    return Float64Array.from(v);
  };
  const mean = vec(spec.mean, 'mean');
  const center = vec(spec.center, 'center');
  const basis = (spec.basis ?? []).map((b) => vec(b, 'basis vector'));
  const covariance = identity(d, spec.residualVariance);
  for (const b of basis) {
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) covariance[i * d + j] = covariance[i * d + j]! + b[i]! * b[j]!;
  }
  const precision = choleskyInverse(choleskyRobust(covariance, d), d);
  return { dim: d, mean, basis, residualVariance: spec.residualVariance, center, covariance, precision };
}

/** N(0, variance I): what a per-user fit with no population knowledge assumes (plain ridge). */
export function isotropicPrior(dim: number, variance: number, center?: ArrayLike<number>): PopulationPrior {
  return makePrior({ dim, residualVariance: variance, center });
}

export interface FitPriorOptions {
  /** Size of the shared basis B (LoRe's rank). */
  readonly rank?: number;
  /** EM rounds: refit every user under the current prior, then re-estimate the prior. */
  readonly rounds?: number;
  /** Prior variance of the first round's per-user fits. */
  readonly initialVariance?: number;
  /** Floor of the residual variance, so the residual stays shrunk but never frozen. */
  readonly minResidualVariance?: number;
  readonly center?: ArrayLike<number>;
}

/**
 * Empirical Bayes over many users' observations (one list per user). Each round fits every
 * user's Laplace posterior N(w_u, S_u) under the current prior, then sets
 *   mean = avg w_u,  C = avg[(w_u - mean)(w_u - mean)' + S_u]          (the EM M-step)
 * and keeps the rank-k part of C as B B' and the average of the rest as s^2 (PPCA).
 */
export function fitPopulationPrior(users: readonly (readonly Observation[])[], dim: number, options: FitPriorOptions = {}): PopulationPrior {
  const rank = Math.min(options.rank ?? 8, dim);
  const rounds = options.rounds ?? 3;
  const minResidual = options.minResidualVariance ?? 1e-3;
  if (users.length < 2) throw new RangeError(`fitting a population prior needs at least 2 users, got ${users.length}`);
  let prior = isotropicPrior(dim, options.initialVariance ?? 4, options.center);
  const scatter = new Float64Array(dim * dim);
  for (const obs of users) {
    for (const o of obs) for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) scatter[i * dim + j] = scatter[i * dim + j]! + o.weight * o.x[i]! * o.x[j]!;
  }
  for (let round = 0; round < rounds; round++) {
    const fits = users.map((obs) => fitBradleyTerry(obs, prior));
    const mean = new Float64Array(dim);
    for (const f of fits) for (let i = 0; i < dim; i++) mean[i] = mean[i]! + f.mean[i]! / fits.length;
    const c = new Float64Array(dim * dim);
    for (const f of fits) {
      for (let i = 0; i < dim; i++) {
        const di = f.mean[i]! - mean[i]!;
        for (let j = 0; j < dim; j++) c[i * dim + j] = c[i * dim + j]! + (di * (f.mean[j]! - mean[j]!) + f.covariance[i * dim + j]!) / fits.length;
      }
    }
    // Directions no image moves along keep whatever variance the last prior gave them (their
    // EM step has no data), so a candidate direction needs support in the observations'
    // scatter M to enter the basis.
    const meanScatter = trace(scatter, dim) / dim;
    const candidates = topEigen(c, dim, Math.min(dim, 2 * rank));
    const supported = candidates.vectors.map((_, k) => k).filter((k) => dot(candidates.vectors[k]!, matVec(scatter, candidates.vectors[k]!, dim)) > 0.01 * meanScatter).slice(0, rank);
    const values = supported.map((k) => candidates.values[k]!);
    const vectors = supported.map((k) => candidates.vectors[k]!);
    // s^2 = tr(M R) / tr(M), R = C - U L U' the part of C the basis leaves, M the scatter of the
    // observations: the residual's variance where images actually differ. (The plain PPCA
    // average over all D directions would count directions no image moves along, where the
    // EM step just returns the previous prior.)
    let num = 0;
    let den = 0;
    for (let i = 0; i < dim; i++) {
      for (let j = 0; j < dim; j++) {
        let r = c[i * dim + j]!;
        for (let k = 0; k < values.length; k++) r -= values[k]! * vectors[k]![i]! * vectors[k]![j]!;
        num += scatter[i * dim + j]! * r;
      }
      den += scatter[i * dim + i]!;
    }
    const residual = Math.max(minResidual, den > 0 ? num / den : minResidual);
    const basis = vectors.map((v, k) => v.map((x) => x * Math.sqrt(Math.max(0, values[k]! - residual))));
    prior = makePrior({ dim, mean, basis: basis.filter((b) => b.some((x) => x !== 0)), residualVariance: residual, center: options.center });
  }
  return prior;
}

export function priorToJson(p: PopulationPrior): PopulationPriorJson {
  return { dim: p.dim, mean: [...p.mean], basis: p.basis.map((b) => [...b]), residualVariance: p.residualVariance, center: [...p.center] };
}

export function priorFromJson(j: PopulationPriorJson): PopulationPrior {
  return makePrior(j);
}

function trace(m: Mat, d: number): number {
  let t = 0;
  for (let i = 0; i < d; i++) t += m[i * d + i]!;
  return t;
}
