// The personalized scorer and reranker:
//   score(img) = w_u . e(img) + v_u . t(img) + lambda * cos(e(img), e_text(prompt))
// The first two terms are the user's Bradley-Terry reward z_u . phi(img) over the image's
// embedding e and its attribute indicators t (preference-space.ts); the last guards
// prompt faithfulness, so taste never wins over what was asked for by much. Every
// candidate's components are returned, to be stored with the job's result.
import { cosine, dot, isFiniteArray } from './linalg.ts';
import { PrefsInputError } from './errors.ts';

export interface ScoredCandidate {
  readonly index: number;
  readonly id: string;
  /** w_u . e(img) + v_u . t(img) */
  readonly preference: number;
  /** cos(phi(img), phi_text(prompt)) */
  readonly faithfulness: number;
  readonly score: number;
  /** 1 = best. */
  readonly rank: number;
  readonly kept: boolean;
}

export const DEFAULT_LAMBDA = 1;

export interface RerankInput {
  readonly vector: readonly number[];
  /** v_u, with each candidate's `attributes` indicators; the attribute term is left out without it. */
  readonly attributeVector?: readonly number[];
  readonly candidates: readonly { readonly id: string; readonly embedding: readonly number[]; readonly attributes?: ArrayLike<number> }[];
  readonly promptEmbedding?: readonly number[];
  readonly keep: number;
  readonly lambda?: number;
}

/** Scores all candidates and keeps the best `keep`; ties keep generation order. Returned in candidate order. */
export function rerank(input: RerankInput): ScoredCandidate[] {
  const { vector, candidates, promptEmbedding } = input;
  const lambda = input.lambda ?? DEFAULT_LAMBDA;
  const d = vector.length;
  if (!isFiniteArray(vector)) throw new PrefsInputError('vector', 'finite numbers', 'non-finite values');
  if (!Number.isInteger(input.keep) || input.keep < 1) throw new PrefsInputError('keep', 'an integer >= 1', input.keep);
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new PrefsInputError('lambda', 'a finite number >= 0', lambda);
  if (promptEmbedding && promptEmbedding.length !== d) throw new PrefsInputError('promptEmbedding', `${d} numbers`, promptEmbedding.length);
  const scored = candidates.map((c, index) => {
    if (c.embedding.length !== d || !isFiniteArray(c.embedding)) throw new PrefsInputError(`candidates[${index}].embedding`, `${d} finite numbers`, c.embedding.length);
    const v = input.attributeVector;
    if (v && c.attributes && c.attributes.length !== v.length) throw new PrefsInputError(`candidates[${index}].attributes`, `${v.length} numbers`, c.attributes.length);
    const preference = dot(vector, c.embedding) + (v && c.attributes ? dot(v, c.attributes) : 0);
    const faithfulness = promptEmbedding ? cosine(c.embedding, promptEmbedding) : 0;
    return { index, id: c.id, preference, faithfulness, score: preference + lambda * faithfulness };
  });
  const order = [...scored].sort((a, b) => b.score - a.score || a.index - b.index);
  const rank = new Map(order.map((s, i) => [s.index, i + 1]));
  return scored.map((s) => ({ ...s, rank: rank.get(s.index)!, kept: rank.get(s.index)! <= input.keep }));
}
