// History -> profile. A user's preference state is a Gaussian belief over w_u (Bradley-Terry
// in the embedder's image space, prior from the population: bradley-terry.ts, prior.ts)
// plus contrast statistics over attributes (attribute-stats.ts). `applyEvent` folds one new
// rating or choice in (O(D^2), whatever the history's length); `refit` rebuilds everything
// from the whole history. Both are pure: a bad event leaves the old state untouched.
import { addDirectEvidence, addImageEvidence, attributeScores, directScores, emptyStats, MIN_SCORE, type AttributeStats } from './attribute-stats.ts';
import type { AttributeCatalog } from './attributes.ts';
import { beliefFromPrior, fitBradleyTerry, updateBelief, updateBeliefInPlace, type GaussianBelief, type Observation } from './bradley-terry.ts';
import { PrefsInputError } from './errors.ts';
import type { HistoryEvent, ImageFacts, Profile, RatingValue, WeightedAttribute } from './history.ts';
import { isFiniteArray } from './linalg.ts';
import type { AttributeExtractor, Extraction } from './ports.ts';
import { preferenceSpace, type PreferenceSpace } from './preference-space.ts';
import type { PopulationPrior } from './prior.ts';

export interface ProfileContext {
  readonly prior: PopulationPrior;
  /** Prior over attribute weights (attribute-space.ts); isotropic over the catalog's attributes if absent. */
  readonly attributePrior?: PopulationPrior;
  /** What is known of the images the history refers to. */
  readonly images: (id: string) => ImageFacts | undefined;
  readonly catalog: AttributeCatalog;
}

export interface PreferenceState {
  readonly userId: string;
  /**
   * Posterior over z_u = [w_u; v_u] (preference-space.ts): w_u, over the image embedding, is
   * the profile's vector; v_u, over the catalog's attributes, gives its liked and disliked lists.
   */
  readonly belief: GaussianBelief;
  readonly stats: AttributeStats;
  /** Ratings and choices folded in. */
  readonly evidence: number;
  /** Of those, how many came by online update since the last full refit. */
  readonly sinceRefit: number;
  readonly strength: number;
  /** Milliseconds since the epoch. */
  readonly updatedAt: number;
}

export interface ApplyResult {
  readonly state: PreferenceState;
  /** Keywords that were not fit to keep (empty, absurdly long, letterless). */
  readonly ignored: readonly string[];
}

/** A stated like or dislike weighs as much as two rated images: the person said it outright. */
const STATED_WEIGHT = 2;
/** Keywords read per list of one event: absurd metadata cannot flood a profile. */
const MAX_KEYWORDS_PER_EVENT = 64;

/** The joint space of the context's embedder and catalog, with its prior. */
export const spaceOf = (ctx: ProfileContext): PreferenceSpace => preferenceSpace(ctx.catalog, ctx.prior, ctx.attributePrior);

export function initialState(userId: string, ctx: ProfileContext, strength = 1, at = 0): PreferenceState {
  checkStrength(strength);
  return {
    userId, belief: beliefFromPrior(spaceOf(ctx).prior), stats: emptyStats(),
    evidence: 0, sinceRefit: 0, strength, updatedAt: at,
  };
}

export function withStrength(state: PreferenceState, strength: number): PreferenceState {
  checkStrength(strength);
  return { ...state, strength };
}

/** Target probability and signed value of a rating. */
function ratingValue(value: RatingValue): { target: number; y: number } {
  if (value === 'like') return { target: 1, y: 1 };
  if (value === 'dislike') return { target: 0, y: -1 };
  if (Number.isInteger(value) && value >= 1 && value <= 5) return { target: (value - 1) / 4, y: (value - 3) / 2 };
  throw new PrefsInputError('value', '"like", "dislike" or 1..5 stars', value);
}

function image(ctx: ProfileContext, id: unknown, field: string): ImageFacts {
  const facts = typeof id === 'string' ? ctx.images(id) : undefined;
  if (!facts) throw new PrefsInputError(field, 'the id of an image this service made or knows', id);
  if (facts.embedding.length !== ctx.prior.dim || !isFiniteArray(facts.embedding)) {
    throw new PrefsInputError(`${field}.embedding`, `${ctx.prior.dim} finite numbers`, `${facts.embedding.length} values`);
  }
  return facts;
}

/** Observation (for w_u) and attribute evidence of one event; extraction holds a comment's keywords. */
function digest(event: HistoryEvent, ctx: ProfileContext, extraction?: Extraction) {
  const ignored: string[] = [];
  const keys = (list: readonly unknown[]) => list.slice(0, MAX_KEYWORDS_PER_EVENT).flatMap((raw) => {
    const k = ctx.catalog.canonical(raw);
    if (k === null) ignored.push(typeof raw === 'string' ? raw.slice(0, 80) : String(raw));
    return k === null ? [] : [k];
  });
  const direct = (liked: readonly unknown[], disliked: readonly unknown[], w: (k: string) => number) => {
    const l = keys(liked), d = keys(disliked);
    const both = new Set(l.filter((k) => d.includes(k))); // ViPer: keywords in both lists are dropped
    return [...l.filter((k) => !both.has(k)).map((k) => ({ attribute: k, value: w(k) })), ...d.filter((k) => !both.has(k)).map((k) => ({ attribute: k, value: -w(k) }))];
  };
  const commentEvidence = () => extraction ? direct(extraction.liked, extraction.disliked, (k) => extraction.weights?.[k] ?? 1) : [];
  const space = spaceOf(ctx);
  switch (event?.kind) {
    case 'rating': {
      const facts = image(ctx, event.imageId, 'imageId');
      const { target, y } = ratingValue(event.value);
      return { obs: { x: space.centered(facts), target, weight: 1 } as Observation, images: [{ attrs: keys(facts.attributes), y, w: 1 }], direct: commentEvidence(), ignored };
    }
    case 'choice': {
      if (event.winner === event.loser) throw new PrefsInputError('loser', 'an image other than the winner', event.loser);
      const win = image(ctx, event.winner, 'winner');
      const lose = image(ctx, event.loser, 'loser');
      const l = space.features(lose);
      const x = space.features(win).map((v, i) => v - l[i]!);
      return { obs: { x, target: 1, weight: 1 } as Observation, images: [{ attrs: keys(win.attributes), y: 1, w: 0.5 }, { attrs: keys(lose.attributes), y: -1, w: 0.5 }], direct: [], ignored };
    }
    case 'comment':
      if (typeof event.text !== 'string') throw new PrefsInputError('text', 'a string', event.text);
      return { obs: undefined, images: [], direct: commentEvidence(), ignored };
    case 'stated':
      if (!Array.isArray(event.liked) || !Array.isArray(event.disliked)) throw new PrefsInputError('liked', 'two lists of keywords (liked, disliked)', event);
      return { obs: undefined, images: [], direct: direct(event.liked, event.disliked, () => STATED_WEIGHT), ignored };
    case 'prompt':
      return { obs: undefined, images: [], direct: [], ignored };
    default:
      throw new PrefsInputError('kind', 'one of rating, choice, comment, stated, prompt', (event as { kind?: unknown })?.kind);
  }
}

function foldStats(stats: AttributeStats, d: ReturnType<typeof digest>): AttributeStats {
  let s = stats;
  for (const img of d.images) s = addImageEvidence(s, img.attrs, img.y, img.w);
  return d.direct.length ? addDirectEvidence(s, d.direct) : s;
}

/**
 * The online update: one event folded into the state. Throws PrefsInputError for an event
 * that cannot be used (unknown image, a choice of an image over itself, a bad rating), and
 * leaves the given state as it was. `extraction` carries a comment's keywords (extract them
 * first: the extractor is asynchronous, this update is not). `inPlace` writes the new belief
 * into the given state's arrays instead of new ones (for a state only its owner reads, such as
 * the Personalizer's cache); it too leaves them as they were when it throws.
 */
export function applyEvent(state: PreferenceState, event: HistoryEvent, ctx: ProfileContext, extraction?: Extraction, options: { inPlace?: boolean } = {}): ApplyResult {
  const d = digest(event, ctx, extraction);
  let belief = state.belief;
  if (d.obs && options.inPlace) updateBeliefInPlace(belief, d.obs);
  else if (d.obs) belief = updateBelief(belief, d.obs);
  const at = Number.isFinite(event.at) ? Math.max(state.updatedAt, event.at) : state.updatedAt;
  return {
    state: { ...state, belief, stats: foldStats(state.stats, d), evidence: state.evidence + (d.obs ? 1 : 0), sinceRefit: state.sinceRefit + (d.obs ? 1 : 0), updatedAt: at },
    ignored: d.ignored,
  };
}

export interface RefitResult {
  readonly state: PreferenceState;
  /** Events left out, with why: a stored history may hold events that no longer resolve. */
  readonly skipped: readonly { index: number; reason: string }[];
  readonly ignored: readonly string[];
}

/**
 * Whether a full refit is due. Online updates are assumed-density filtering: each is exact
 * given the last belief, but early events weigh a little more than late ones (a > b then
 * b > a, many times, leaves a lean toward the first). A refit now and then removes that
 * order effect; it costs O(n nnz^2) per Newton step, so it runs off the request path, and
 * only when the history has doubled since the last one (after 50 events at least): O(1)
 * refits per event, amortized. Every quarter instead halved rating ingestion (docs/results.md).
 */
/** The first refit comes after this many online updates. */
export const REFIT_MIN_EVENTS = 50;

export function refitDue(state: PreferenceState): boolean {
  return state.sinceRefit >= Math.max(REFIT_MIN_EVENTS, 0.5 * state.evidence);
}

/** The full refit: every usable event of the history, Newton MAP of w_u under the prior. */
export function refit(userId: string, history: readonly HistoryEvent[], ctx: ProfileContext, options: { strength?: number; extractions?: ReadonlyMap<string, Extraction>; start?: ArrayLike<number> } = {}): RefitResult {
  let stats = emptyStats();
  const obs: Observation[] = [];
  const skipped: { index: number; reason: string }[] = [];
  const ignored: string[] = [];
  let at = 0;
  history.forEach((event, index) => {
    try {
      const text = event.kind === 'comment' ? event.text : event.kind === 'rating' ? event.comment : undefined;
      const d = digest(event, ctx, text === undefined ? undefined : options.extractions?.get(text));
      if (d.obs) obs.push(d.obs);
      stats = foldStats(stats, d);
      ignored.push(...d.ignored);
      if (Number.isFinite(event.at)) at = Math.max(at, event.at);
    } catch (e) {
      if (!(e instanceof PrefsInputError)) throw e;
      skipped.push({ index, reason: e.message });
    }
  });
  const { iterations: _, ...belief } = fitBradleyTerry(obs, spaceOf(ctx).prior, { start: options.start });
  const state = { ...initialState(userId, ctx, options.strength ?? 1), belief, stats, evidence: obs.length, updatedAt: at };
  return { state, skipped, ignored };
}

/**
 * The Bradley-Terry observations of a history's ratings and choices, split into the image block
 * and the attribute block: what the two population priors are fitted on (prior.ts,
 * pipeline/population.ts). Unusable events are left out.
 */
export function judgements(history: readonly HistoryEvent[], ctx: ProfileContext): { image: Observation[]; attributes: Observation[] } {
  const space = spaceOf(ctx);
  const image: Observation[] = [];
  const attributes: Observation[] = [];
  for (const event of history) {
    if (event.kind !== 'rating' && event.kind !== 'choice') continue;
    try {
      const d = digest(event, ctx);
      if (!d.obs) continue;
      const { w, v } = space.split(d.obs.x);
      image.push({ ...d.obs, x: w });
      attributes.push({ ...d.obs, x: v });
    } catch (e) {
      if (!(e instanceof PrefsInputError)) throw e;
    }
  }
  return { image, attributes };
}

/**
 * Each attribute's score in (-1, 1): for the catalog's attributes, tanh of half the attribute
 * weight against its family (the attribute-level Bradley-Terry posterior, so the population
 * prior speaks before any evidence) plus what was said outright; for free keywords only
 * seen in metadata or comments, the shrunk contrast statistics.
 */
export function scoreAttributes(state: PreferenceState, space: PreferenceSpace): Map<string, number> {
  // No population prior over attributes (a new deployment): contrast statistics. Measured on the
  // same 24 simulated users, they name likes better after 4 choices than an isotropic posterior
  // (docs/results.md); with a population prior the posterior is the better reader.
  if (!space.attributePriorGiven) return attributeScores(state.stats);
  const attributes = space.attributes;
  const out = new Map([...attributeScores(state.stats)].filter(([k]) => attributes.axis(k) === undefined));
  const direct = directScores(state.stats);
  const relative = attributes.relative(space.split(state.belief.mean).v);
  attributes.keys.forEach((k, i) => {
    if (attributes.undrawn.has(i) && !state.stats.tallies.has(k)) return;
    const s = Math.tanh(relative[i]! / 2 + (direct.get(k) ?? 0));
    if (Number.isFinite(s) && s !== 0) out.set(k, s);
  });
  return out;
}

/** The profile a job reads: strongest attributes first, w_u and v_u as plain vectors. */
export function toProfile(state: PreferenceState, space: PreferenceSpace, maxAttributes = 24): Profile {
  if (state.belief.dim !== space.dim) throw new RangeError(`the state has ${state.belief.dim} dimensions; the space ${space.dim}`);
  const liked: WeightedAttribute[] = [];
  const disliked: WeightedAttribute[] = [];
  // Only scores strong enough to be listed are ranked (most of the catalog is near 0).
  const ranked = [...scoreAttributes(state, space)].filter(([, s]) => Math.abs(s) >= MIN_SCORE).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || (a[0] < b[0] ? -1 : 1));
  for (const [attribute, s] of ranked) {
    if (s >= MIN_SCORE && liked.length < maxAttributes) liked.push({ attribute, weight: s });
    if (s <= -MIN_SCORE && disliked.length < maxAttributes) disliked.push({ attribute, weight: -s });
  }
  const { w, v } = space.split(state.belief.mean);
  return {
    userId: state.userId, liked, disliked, vector: [...w], attributeVector: [...v], strength: state.strength,
    evidence: state.evidence, updatedAt: new Date(state.updatedAt).toISOString(),
  };
}

function checkStrength(strength: number): void {
  if (!(strength >= 0 && strength <= 1)) throw new PrefsInputError('strength', 'a number in 0..1', strength);
}

/** Keywords of every comment in a history, extracted once each (for refit's `extractions`). */
export async function extractComments(history: readonly HistoryEvent[], extractor: AttributeExtractor, signal?: AbortSignal): Promise<Map<string, Extraction>> {
  const out = new Map<string, Extraction>();
  for (const e of history) {
    const text = e.kind === 'comment' ? e.text : e.kind === 'rating' ? e.comment : undefined;
    if (typeof text === 'string' && text.trim() && !out.has(text)) out.set(text, await extractor.extract(text, { signal }));
  }
  return out;
}
