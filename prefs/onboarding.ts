// Onboarding, Midjourney-style: which pair of images should the person judge next? The one
// whose outcome the current fit is least sure of and would learn most from: the expected
// information of a logistic observation x = phi(a) - phi(b) under N(m, S) is, to second
// order, 1/2 log(1 + p(1-p) x'Sx) with p the predictive probability (the log-determinant
// change of the Sherman-Morrison update; D-optimal design). It favours pairs the fit
// predicts near 50/50 (p(1-p) high) along directions it has not pinned down (x'Sx high).
import type { GaussianBelief } from './bradley-terry.ts';
import { matVec, dot } from './linalg.ts';
import { PrefsInputError } from './errors.ts';

export interface PairCandidate {
  readonly id: string;
  /** The image's features in the belief's space: its embedding, or its attribute indicators. */
  readonly embedding: ArrayLike<number>;
}

export interface ProposedPair {
  readonly a: string;
  readonly b: string;
  /** Expected information gain, in nats. */
  readonly information: number;
  /** The fit's predictive probability that a wins. */
  readonly p: number;
}

/**
 * The most informative pair among the candidates, leaving out pairs already judged
 * (`judged` holds "a|b" keys in either order). Deterministic: ties go to the earlier pair.
 * O(N D^2 + N^2 D) with S*phi precomputed.
 */
export function nextPair(belief: GaussianBelief, candidates: readonly PairCandidate[], judged: ReadonlySet<string> = new Set()): ProposedPair | undefined {
  const d = belief.dim;
  for (const c of candidates) {
    if (c.embedding.length !== d) throw new PrefsInputError(`candidates[${c.id}].embedding`, `${d} numbers`, c.embedding.length);
  }
  const sphi = candidates.map((c) => matVec(belief.covariance, c.embedding, d));
  const self = candidates.map((c, i) => dot(c.embedding, sphi[i]!));
  const score = candidates.map((c) => dot(belief.mean, c.embedding));
  let best: ProposedPair | undefined;
  for (let i = 0; i < candidates.length; i++) {
    for (let j = i + 1; j < candidates.length; j++) {
      const a = candidates[i]!, b = candidates[j]!;
      if (a.id === b.id || judged.has(`${a.id}|${b.id}`) || judged.has(`${b.id}|${a.id}`)) continue;
      const variance = Math.max(0, self[i]! + self[j]! - 2 * dot(a.embedding, sphi[j]!));
      const mean = score[i]! - score[j]!;
      const p = 1 / (1 + Math.exp(-mean / Math.sqrt(1 + (Math.PI * variance) / 8)));
      const information = 0.5 * Math.log1p(p * (1 - p) * variance);
      if (!best || information > best.information) best = { a: a.id, b: b.id, information, p };
    }
  }
  return best;
}

