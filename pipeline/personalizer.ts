// The preference side of a job, in one place: a user's state from their history (refit on
// first use, then online updates), the plan for a prompt (rewrite, negative prompt, ViPer
// guidance terms), what an image shows (embedding and attributes) and the rerank.
import type { AttributeCatalog } from '../prefs/attributes.ts';
import { preferenceGuidance, type GuidanceTerm } from '../prefs/conditioning.ts';
import type { HistoryEvent, ImageFacts, Profile } from '../prefs/history.ts';
import type { AttributeExtractor, Embedder, Extraction, RgbImage, TokenCounter } from '../prefs/ports.ts';
import { nextPair, type ProposedPair } from '../prefs/onboarding.ts';
import { preferenceSpace, type ImageFeatures, type PreferenceSpace } from '../prefs/preference-space.ts';
import type { PopulationPrior } from '../prefs/prior.ts';
import { applyEvent, extractComments, judgements, refit, refitDue, toProfile, withStrength, type PreferenceState, type ProfileContext } from '../prefs/profile.ts';
import { residentCovariance } from '../prefs/kernels/covariance.ts';
import { rerank, type ScoredCandidate } from '../prefs/rerank.ts';
import { rewritePrompt, type RewriteExplanation } from '../prefs/rewrite.ts';
import type { PersonalizationDefaults } from './diffusion/model.ts';
import { StoreNotFoundError, type HistoryStore, type Refitter } from './ports.ts';

export interface PersonalizerDeps {
  readonly catalog: AttributeCatalog;
  readonly prior: PopulationPrior;
  /** Prior over attribute weights (prefs/attribute-space.ts); isotropic if absent. */
  readonly attributePrior?: PopulationPrior;
  readonly extractor: AttributeExtractor;
  /** Without one, images carry no embedding and candidates are kept in generation order. */
  readonly embedder?: Embedder;
  /** Users whose state stays in memory between events; by default as many as fit in CACHE_BYTES. */
  readonly cacheSize?: number;
  /** Where full refits run (a worker thread: adapters/refit/); without one, on this thread. */
  readonly refitter?: Refitter;
}

export interface PromptPlan {
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly guidance: GuidanceTerm[];
  readonly explanation: RewriteExplanation;
  readonly strength: number;
}

export interface ImageDescription {
  readonly embedding: number[];
  readonly attributes: string[];
}

/** Memory for cached preference states, unless PersonalizerDeps.cacheSize says how many. */
const CACHE_BYTES = 256 * 2 ** 20;

const textOf = (e: HistoryEvent) => (e.kind === 'comment' ? e.text : e.kind === 'rating' ? e.comment : undefined);
const imagesOf = (e: HistoryEvent) => (e.kind === 'rating' ? [e.imageId] : e.kind === 'choice' ? [e.winner, e.loser] : e.kind === 'comment' && e.imageId ? [e.imageId] : []);

/** An event folded in by online update, with what it was folded in with. */
interface Folded {
  readonly event: HistoryEvent;
  readonly ctx: ProfileContext;
  readonly extraction?: Extraction;
}

/** A background refit of one user, and what happened to their state since it read the history. */
interface BackgroundRefit {
  /** The state the last online update left: the refit replaces only this one. */
  latest: PreferenceState;
  readonly since: Folded[];
}

const sameEvent = (a: HistoryEvent, b: HistoryEvent) => JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());

/**
 * How many of `since` (oldest first) the history already ends with. A store that runs queries
 * on several connections (PostgreSQL) may answer a read with an append that was sent after it.
 */
function alreadyRead(history: readonly HistoryEvent[], since: readonly Folded[]): number {
  for (let m = Math.min(history.length, since.length); m > 0; m--) {
    if (since.slice(0, m).every((f, i) => sameEvent(f.event, history[history.length - m + i]!))) return m;
  }
  return 0;
}

export class Personalizer {
  private readonly states = new Map<string, PreferenceState>();
  private readonly refitting = new Map<string, BackgroundRefit>();
  private readonly running = new Set<Promise<void>>();
  private tagTexts: Promise<{ family: string; text: string; embedding: number[] }[]> | undefined;

  private priors: { image: PopulationPrior; attributes?: PopulationPrior };

  constructor(readonly deps: PersonalizerDeps) {
    this.priors = { image: deps.prior, attributes: deps.attributePrior };
  }

  /** The population priors every user's fit starts from. */
  get prior(): PopulationPrior {
    return this.priors.image;
  }

  /**
   * Replaces the population priors (after a refit over all users: pipeline/population.ts).
   * Cached states were fitted under the old ones, so they are dropped and refit on next use.
   */
  setPriors(priors: { image: PopulationPrior; attributes?: PopulationPrior }): void {
    if (priors.image.dim !== this.priors.image.dim) throw new RangeError(`image prior has ${priors.image.dim} dimensions, the embedder ${this.priors.image.dim}`);
    this.priors = priors;
    this.states.clear();
    this.refitting.clear(); // refits under the old priors must not land
  }

  /** The joint space of w_u and v_u under the current priors. */
  get space(): PreferenceSpace {
    return preferenceSpace(this.deps.catalog, this.priors.image, this.priors.attributes);
  }

  /** The profile a job reads, from a state. */
  profileOf(state: PreferenceState): Profile {
    return toProfile(state, this.space);
  }

  get catalog(): AttributeCatalog {
    return this.deps.catalog;
  }

  private async context(userId: string, history: HistoryStore, events: readonly HistoryEvent[]): Promise<ProfileContext> {
    const ids = [...new Set(events.flatMap(imagesOf))];
    const facts = new Map<string, ImageFacts>((await history.imageFacts(userId, ids)).map((f) => [f.id, f]));
    return { prior: this.priors.image, attributePrior: this.priors.attributes, catalog: this.deps.catalog, images: (id) => facts.get(id) };
  }

  /**
   * Caches the state, its covariance moved into the update kernel's memory (updated there in
   * place, with no copy per event: prefs/kernels/covariance.ts); returns the cached state.
   */
  private remember(given: PreferenceState): PreferenceState {
    const { belief } = given;
    const covariance = residentCovariance(belief.covariance, belief.dim);
    const state = covariance === belief.covariance ? given : { ...given, belief: { ...belief, covariance } };
    this.states.delete(state.userId);
    this.states.set(state.userId, state);
    // A state's covariance is (D + A)^2 numbers: 0.2 MB for the pack, 2.9 MB for CLIP ViT-B's 512.
    const limit = this.deps.cacheSize ?? Math.max(16, Math.floor(CACHE_BYTES / (8 * state.belief.dim ** 2)));
    while (this.states.size > limit) this.states.delete(this.states.keys().next().value!);
    return state;
  }

  /** The user's state: cached, or refit from the whole stored history. */
  async state(userId: string, history: HistoryStore): Promise<PreferenceState> {
    const cached = this.states.get(userId);
    if (cached) return cached;
    const events = await this.liveHistory(userId, history);
    const stored = await history.loadProfile(userId);
    const state = await this.refit(userId, events, history, stored?.strength ?? 1);
    // Another call may have cached (and updated) a state while this one read the store.
    const raced = this.states.get(userId);
    if (raced) return raced;
    return this.remember(state);
  }

  /** The user's ratings and choices as Bradley-Terry observations (for fitting a population prior). */
  async judgements(userId: string, history: HistoryStore): Promise<ReturnType<typeof judgements>> {
    const events = await this.liveHistory(userId, history);
    return judgements(events, await this.context(userId, history, events));
  }

  /** prefs' full refit of `events`, on the refitter when there is one. */
  private async refit(userId: string, events: readonly HistoryEvent[], history: HistoryStore, strength: number, from?: PreferenceState): Promise<PreferenceState> {
    const extractions = await extractComments(events, this.deps.extractor);
    const ctx = await this.context(userId, history, events);
    // A due refit starts Newton from the online estimate, near the optimum: fewer steps.
    const start = from && from.belief.dim === this.space.dim ? [...from.belief.mean] : undefined;
    if (!this.deps.refitter) return refit(userId, events, ctx, { strength, extractions, start }).state;
    const { images, catalog: _, ...context } = ctx;
    const facts = [...new Set(events.flatMap(imagesOf))].flatMap((id) => images(id) ?? []);
    return this.deps.refitter.refit({ userId, events, facts, context, strength, extractions, background: from !== undefined, ...(start && { start }) });
  }

  /** The history since the last reset: a stated event with both lists empty marks one. */
  private async liveHistory(userId: string, history: HistoryStore): Promise<HistoryEvent[]> {
    const all = await history.history(userId);
    return all.slice(all.findLastIndex((e) => e.kind === 'stated' && !e.liked.length && !e.disliked.length) + 1);
  }

  /**
   * Folds new events, not yet stored, into the user's state by online update, and hands the new
   * profile to `store`, which must store the events and that profile together (HistoryStore
   * append with a profile). The cached state is updated in place (no D x D allocation per
   * event); if folding or storing fails, it is dropped and rebuilt from the stored history on
   * next use, so memory never holds an event the store lacks. When a full refit is due
   * (refitDue) it runs in the background, off the request path (on the refitter's thread when
   * there is one); the events folded in meanwhile are folded into its result again.
   */
  async update(userId: string, events: readonly HistoryEvent[], history: HistoryStore, store: (profile: Profile) => Promise<void>): Promise<Profile> {
    let state = await this.state(userId, history);
    const folded: Folded[] = [];
    let profile: Profile;
    try {
      const ctx = await this.context(userId, history, events);
      // As the store would answer: an image that is not the user's is not found (not bad input).
      const missing = events.flatMap(imagesOf).find((id) => !ctx.images(id));
      if (missing !== undefined) throw new StoreNotFoundError('image', missing);
      for (const event of events) {
        const text = textOf(event);
        const extraction = text?.trim() ? await this.deps.extractor.extract(text) : undefined;
        state = applyEvent(state, event, ctx, extraction, { inPlace: true }).state;
        folded.push({ event, ctx, ...(extraction && { extraction }) });
      }
      state = this.remember(state);
      profile = this.profileOf(state);
      await store(profile);
    } catch (err) {
      this.forget(userId);
      throw err;
    }
    const background = this.refitting.get(userId);
    if (background) {
      background.since.push(...folded);
      background.latest = state;
    } else if (refitDue(state)) {
      this.refitInBackground(userId, state, history, folded);
    }
    return profile;
  }

  /** `last`: the events `from` ends with, stored just now (a read may or may not return them yet). */
  private refitInBackground(userId: string, from: PreferenceState, history: HistoryStore, last: Folded[]): void {
    const background: BackgroundRefit = { latest: from, since: [...last] };
    this.refitting.set(userId, background);
    const run = (async () => {
      // Sent now, before the append of any later event of this user (the lanes keep their order).
      const events = await this.liveHistory(userId, history);
      let state = await this.refit(userId, events, history, from.strength, from);
      // A reset, a strength edit or an eviction meanwhile: the state in memory stands.
      if (this.refitting.get(userId) !== background || this.states.get(userId) !== background.latest) return;
      // The refit's state is this function's own: the events since fold into it in place.
      for (const { event, ctx, extraction } of background.since.slice(alreadyRead(events, background.since))) {
        state = applyEvent(state, event, ctx, extraction, { inPlace: true }).state;
      }
      this.remember({ ...state, strength: background.latest.strength });
    })().catch(() => {}).finally(() => {
      if (this.refitting.get(userId) === background) this.refitting.delete(userId);
      this.running.delete(run);
    });
    this.running.add(run);
  }

  /** Waits for background refits (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all(this.running);
  }

  /** The most informative pair among the images to judge next (prefs/onboarding.ts), on their embeddings and attributes. */
  proposePair(state: PreferenceState, images: readonly (ImageFeatures & { id: string })[], judged: ReadonlySet<string>): ProposedPair | undefined {
    const space = this.space;
    const usable = images.filter((i) => i.embedding.length === space.imageDim);
    return nextPair(state.belief, usable.map((i) => ({ id: i.id, embedding: space.features(i) })), judged);
  }

  setStrength(state: PreferenceState, strength: number): Profile {
    const next = withStrength(state, strength);
    return this.profileOf(this.remember(next));
  }

  forget(userId: string): void {
    this.states.delete(userId);
    this.refitting.delete(userId);
  }

  /**
   * Rewritten prompt, negative prompt and guidance terms for one job. `rewrite` and
   * `guidance` switch the two parts (for ablations, and guidance is off for remote models);
   * with the rewrite off, the guidance terms are chosen against the typed prompt.
   */
  plan(prompt: string, negativePrompt: string, profile: Profile, o: { strength: number; seed: number; tokens: TokenCounter; pastPrompts: string[]; rewrite: boolean; guidance: boolean; model?: PersonalizationDefaults }): PromptPlan {
    const rewrite = rewritePrompt(prompt, profile, this.deps.catalog, {
      tokens: o.tokens, strength: o.rewrite ? o.strength : 0, seed: o.seed, negativePrompt, pastPrompts: o.pastPrompts,
      ...(o.model?.negativePrompt === false && { maxNegative: 0 }),
    });
    const guidance = o.guidance && o.strength > 0
      ? preferenceGuidance(profile, this.deps.catalog, { strength: o.strength, prompt: rewrite.prompt, seed: o.seed, tokens: o.tokens, bPos: o.model?.bPos, bNeg: o.model?.bNeg })
      : [];
    const summary = o.rewrite || o.strength === 0 ? rewrite.explanation.summary : 'the prompt is as typed (rewriting switched off)';
    const terms = guidance.length ? ` Guidance toward liked and away from disliked attributes: ${guidance.map((g) => `${g.weight > 0 ? '+' : ''}${g.weight.toFixed(2)} "${g.condition.text}"`).join(', ')}.` : '';
    return { prompt: rewrite.prompt, negativePrompt: rewrite.negativePrompt, guidance, explanation: { ...rewrite.explanation, summary: summary + terms }, strength: o.strength };
  }

  /** Texts the embedder can tell apart for each exclusive family, embedded once. */
  private tagVocabulary(embedder: Embedder) {
    this.tagTexts ??= (async () => {
      // Only the world's own values (order < 100): the general art terms merged into a world
      // family (pink, gold) are words the world never draws.
      const defs = this.deps.catalog.attributes.filter((d) => d.exclusive && d.order < 100);
      const subject = this.deps.catalog.subjects.at(-1) ?? 'picture';
      const texts = defs.map((d) => (d.placement === 'before-subject' ? `a ${d.phrase} ${subject}` : `a ${subject}${d.phrase}`));
      const embeddings = await embedder.embedTexts(texts);
      return defs.map((d, i) => ({ family: d.family, text: d.text, embedding: embeddings[i]! }));
    })();
    return this.tagTexts;
  }

  /** Embeddings and attributes of images: zero-shot tags for the world's families, plus what the prompt named. */
  async describe(images: readonly RgbImage[], prompt: string): Promise<ImageDescription[]> {
    const named = this.deps.catalog.mentioned(prompt);
    const namedTexts = named.map((d) => d.text);
    const embedder = this.deps.embedder;
    if (!embedder) return images.map(() => ({ embedding: [], attributes: [...namedTexts] }));
    const [embeddings, vocab] = await Promise.all([embedder.embedImages(images), this.tagVocabulary(embedder)]);
    return embeddings.map((e) => {
      const best = new Map<string, { text: string; score: number }>();
      for (const t of vocab) {
        const score = t.embedding.reduce((s, x, k) => s + x * e[k]!, 0);
        if (score > (best.get(t.family)?.score ?? -Infinity)) best.set(t.family, { text: t.text, score });
      }
      const tagged = [...best.values()].map((b) => b.text);
      const taggedFamilies = new Set(best.keys());
      const rest = named.filter((d) => !taggedFamilies.has(d.family)).map((d) => d.text);
      return { embedding: e, attributes: [...tagged, ...rest] };
    });
  }

  async promptEmbedding(prompt: string): Promise<number[] | undefined> {
    return this.deps.embedder ? (await this.deps.embedder.embedTexts([prompt]))[0] : undefined;
  }

  /** Candidates ranked by the profile; in generation order when personalization is off or there is nothing to rank by. */
  rank(profile: Profile, candidates: { id: string; embedding: readonly number[]; attributes: readonly string[] }[], promptEmbedding: readonly number[] | undefined, keep: number, strength: number): ScoredCandidate[] {
    if (!this.deps.embedder || profile.vector.length === 0 || strength === 0) {
      return candidates.map((c, i) => ({ index: i, id: c.id, preference: 0, faithfulness: 0, score: 0, rank: i + 1, kept: i < keep }));
    }
    const space = this.space;
    // A profile saved under another catalog (or before v_u existed) ranks on w_u alone.
    const attributeVector = profile.attributeVector?.length === space.attributes.dim ? profile.attributeVector : undefined;
    return rerank({
      vector: profile.vector, attributeVector, promptEmbedding, keep,
      candidates: candidates.map((c) => ({ id: c.id, embedding: c.embedding, ...(attributeVector && { attributes: space.attributes.indicator(c.attributes) }) })),
    });
  }
}
