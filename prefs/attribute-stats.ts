// Contrast statistics of liked vs disliked attributes, with shrinkage so that one rating is
// not a verdict. Each piece of evidence is a signed value y in [-1, 1] with a weight:
// an image rated like (+1) or dislike (-1) or in stars ((s - 3) / 2) lends its y to every
// attribute it carries; a choice lends +1 to the winner's and -1 to the loser's (weight
// 1/2 each); a comment or a stated like/dislike lends +-1 directly. An attribute's score is
//   s_a = (sum_a y w - n_a * ybar + direct_a) / (n_a + n_direct_a + kappa)
// where ybar is the user's shrunk mean rating: an attribute counts as liked only when the
// images carrying it did better than this user's images do on average (a contrast), and
// kappa pseudo-observations at 0 pull thin evidence toward "no opinion".

export interface AttributeTally {
  /** Sum of weighted signed values from rated images carrying the attribute. */
  readonly sum: number;
  /** Total weight of those images. */
  readonly n: number;
  /** Sum of signed evidence stated outright (comments, stated likes). */
  readonly direct: number;
  readonly nDirect: number;
}

export interface AttributeStats {
  readonly tallies: ReadonlyMap<string, AttributeTally>;
  readonly ratingSum: number;
  readonly ratingWeight: number;
}

const KAPPA = 2;
/** Scores below this magnitude are "no opinion" and stay out of the profile's lists. */
export const MIN_SCORE = 0.1;
/** An attribute list per event is capped: absurd metadata cannot blow up a profile. */
const MAX_ATTRIBUTES_PER_EVENT = 64;

export const emptyStats = (): AttributeStats => ({ tallies: new Map(), ratingSum: 0, ratingWeight: 0 });

const zero: AttributeTally = { sum: 0, n: 0, direct: 0, nDirect: 0 };

/** Evidence from a rated (or chosen) image: y lent to each of its attributes. */
export function addImageEvidence(stats: AttributeStats, attributes: readonly string[], y: number, weight: number): AttributeStats {
  const tallies = new Map(stats.tallies);
  for (const a of new Set(attributes.slice(0, MAX_ATTRIBUTES_PER_EVENT))) {
    const t = tallies.get(a) ?? zero;
    tallies.set(a, { ...t, sum: t.sum + y * weight, n: t.n + weight });
  }
  return { tallies, ratingSum: stats.ratingSum + y * weight, ratingWeight: stats.ratingWeight + weight };
}

/** Evidence stated outright: a comment's keywords or a stated like (+) / dislike (-). */
export function addDirectEvidence(stats: AttributeStats, signed: readonly { attribute: string; value: number }[]): AttributeStats {
  const tallies = new Map(stats.tallies);
  for (const { attribute, value } of signed.slice(0, MAX_ATTRIBUTES_PER_EVENT)) {
    const t = tallies.get(attribute) ?? zero;
    tallies.set(attribute, { ...t, direct: t.direct + value, nDirect: t.nDirect + Math.abs(value) });
  }
  return { ...stats, tallies };
}

/** Every attribute's shrunk contrast score in (-1, 1). */
export function attributeScores(stats: AttributeStats): Map<string, number> {
  const ybar = stats.ratingSum / (stats.ratingWeight + KAPPA);
  const out = new Map<string, number>();
  for (const [a, t] of stats.tallies) {
    const s = (t.sum - t.n * ybar + t.direct) / (t.n + t.nDirect + KAPPA);
    if (Number.isFinite(s)) out.set(a, s);
  }
  return out;
}

/** The part of each score stated outright (comments, stated likes), shrunk the same way. */
export function directScores(stats: AttributeStats): Map<string, number> {
  const out = new Map<string, number>();
  for (const [a, t] of stats.tallies) if (t.nDirect > 0) out.set(a, t.direct / (t.nDirect + KAPPA));
  return out;
}
