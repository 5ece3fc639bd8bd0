// One simulated user through the product, as a person would meet it:
//  1. Onboarding pool: the service's designed onboarding set (FeedbackLoop.onboardingPool:
//     prompts with an open shape, "a red striped shape, on a teal background, lit from the
//     left", that together show every style value), generated once with personalization off
//     and copied into each account (the same prompts and seeds make the same images).
//  2. Onboarding: k pairwise choices, each pair proposed by FeedbackLoop.nextPair and the
//     choice recorded through FeedbackLoop.record. The user judges what the judge reads in
//     the images (hidden utility + noise). One account per k: later judgements never see
//     images made for an earlier k's evaluation.
//  3. Held-out prompts naming only the shape ("a circle"): a base job (personalization off,
//     one candidate) and a personalized job from the same seed through runGenerationJob, all
//     parts on, and at the ablation k each part alone. The hidden utility, without noise,
//     picks the winner; ties count half.
import { runGenerationJob, type GenerationDeps, type GenerationRequest } from '../../pipeline/generate-job.ts';
import { fitPopulationPriors } from '../../pipeline/population.ts';
import { caption } from '../world/caption.ts';
import { mulberry32, type Rng } from '../world/prng.ts';
import { vocabulary, type Attributes } from '../world/vocabulary.ts';
import type { BenchWorld } from './bench-world.ts';
import { prefersFirst, type SimulatedUser } from './simulated-users.ts';
import { outcome } from './win-rate.ts';

export const VARIANTS = {
  all: { rewrite: true, guidance: true, rerank: true },
  rewrite: { rewrite: true, guidance: false, rerank: false },
  guidance: { rewrite: false, guidance: true, rerank: false },
  rerank: { rewrite: false, guidance: false, rerank: true },
} as const;
export type Variant = keyof typeof VARIANTS;

export interface ProtocolOptions {
  /** Onboarding judgements, one evaluation per entry. */
  readonly ks: readonly number[];
  /** Held-out prompts per user. */
  readonly prompts: number;
  /** Candidates of a personalized job when the rerank is on. */
  readonly candidates: number;
  /** Images in the onboarding pool. */
  readonly pool: number;
  /** The k at which each part also runs alone; none if undefined. */
  readonly ablationK?: number;
  /** Denoising steps (the model's default if undefined). */
  readonly steps?: number;
  /** Scale of the judgement noise (Gumbel), against tastes of about 1. */
  readonly temperature: number;
  readonly seed: number;
}

export interface Comparison {
  readonly user: number;
  readonly k: number;
  readonly variant: Variant;
  readonly prompt: string;
  readonly seed: number;
  readonly rewrittenPrompt: string;
  readonly negativePrompt: string;
  readonly base: Attributes;
  readonly personalized: Attributes;
  readonly utility: { readonly base: number; readonly personalized: number };
  /** 1 win, 1/2 tie, 0 loss. */
  readonly score: number;
  /** Whether the judge sees the prompt's shape. */
  readonly faithful: { readonly base: boolean; readonly personalized: boolean };
  /** Wall-clock job time per kept image. */
  readonly ms: { readonly base: number; readonly personalized: number };
  /** Style values the rewrite wrote into the prompt, and how many of them the judge sees. */
  readonly rewriteNamed: number;
  readonly rewriteShown: number;
  /** Terms the rewrite added that the world has no value for (e.g. the catalog's general colours). */
  readonly rewriteOffWorld: number;
}

export interface UserRun {
  readonly user: number;
  readonly strongDislike?: string;
  readonly comparisons: Comparison[];
  /** Per k: the world values the profile likes and dislikes, and the share whose sign agrees with the hidden taste. */
  readonly profiles: Record<string, { liked: string[]; disliked: string[]; agreement: number | null }>;
  /** Per style family: the share of pool images where the product's own tags (what the profile learns from) agree with the judge. */
  readonly tagger: Record<string, number>;
  /** Base and fully personalized pixels at the largest k, for the contact sheet. */
  readonly sheet: { prompt: string; base: Uint8Array; personalized: Uint8Array; score: number }[];
}

const SHAPES = vocabulary.families.shape!.values;

let jobCount = 0;
async function runJob(world: BenchWorld, deps: GenerationDeps, userId: string, request: GenerationRequest) {
  const job = { id: `bench-${process.pid}-${++jobCount}`, userId, data: { userId, request }, attempt: 1, reportProgress: () => {} };
  const t0 = performance.now();
  const result = await runGenerationJob(job, deps, new AbortController().signal);
  const ms = (performance.now() - t0) / result.imageIds.length;
  return { result, ms, images: await world.read(userId, result.imageIds) };
}

/** The service's onboarding pool, as generated once, with what the judge reads in each image. */
export interface OnboardingPool {
  readonly rows: Awaited<ReturnType<BenchWorld['store']['listImages']>>['images'];
  readonly attrs: ReadonlyMap<number, Attributes>;
  readonly tagger: Record<string, number>;
}

/**
 * The service's onboarding set (FeedbackLoop.onboardingPool), generated by its jobs with
 * personalization off. Every user who onboards asks for the same set, and the same prompts and
 * seeds make the same images, so it is generated once and each account gets a copy.
 */
export async function makeOnboardingPool(world: BenchWorld, o: ProtocolOptions): Promise<OnboardingPool> {
  const owner = (await world.store.createUser('onboarding-pool')).user.id;
  const seed = Math.floor(userRng(o.seed, 1_000_000, 3)() * 2 ** 31);
  const attrs = new Map<number, Attributes>();
  for (const request of world.feedback.onboardingPool({ count: o.pool, seed, steps: o.steps })) {
    const { images } = await runJob(world, world.deps, owner, request);
    for (const im of images) attrs.set(im.seed, im.attrs);
  }
  const rows = (await world.store.listImages(owner, { limit: 100 })).images;
  return { rows, attrs, tagger: taggerAgreement(world, rows, attrs) };
}

/** Copies the pool's images into an account; returns what the judge reads in each copy. */
async function copyPool(world: BenchWorld, pool: OnboardingPool, account: string): Promise<(imageId: string) => Attributes> {
  const jobId = `bench-${process.pid}-${++jobCount}`;
  await world.store.createJob({ id: jobId, userId: account, request: { prompt: 'the onboarding set (copied)', copiedFrom: pool.rows[0]!.jobId } });
  await world.store.saveImages(pool.rows.map(({ id: _id, rating: _r, createdAt: _c, ...row }) => ({ ...row, userId: account, jobId })));
  await world.store.finishJob(jobId, 'completed');
  const seedOf = new Map((await world.store.listImages(account, { limit: 100 })).images.map((im) => [im.id, im.seed]));
  return (id) => pool.attrs.get(seedOf.get(id)!)!;
}

/** Seeds and noise of user i under run seed s: the same wherever and however often it runs. */
const userRng = (seed: number, user: number, stream: number): Rng => mulberry32((seed * 1_000_003 + user * 7919 + stream * 104_729) >>> 0);

export async function runUser(world: BenchWorld, user: SimulatedUser, pool: OnboardingPool, o: ProtocolOptions): Promise<UserRun> {
  const seeds = userRng(o.seed, user.index, 1);
  const draw = () => Math.floor(seeds() * 2 ** 31);
  draw(); // once each user's own pool seed; still drawn, so the held-out seeds stay those of earlier runs
  const heldOut = Array.from({ length: o.prompts }, (_, j) => {
    const shape = SHAPES[(user.index + j) % SHAPES.length]!;
    return { shape, prompt: caption({ shape }, new Set(['shape'])), seed: draw() };
  });
  const ks = [...o.ks].sort((a, b) => a - b);
  const comparisons: Comparison[] = [];
  const profiles: UserRun['profiles'] = {};
  let sheet: UserRun['sheet'] = [];
  const base = new Map<number, { attrs: Attributes; pixels: Uint8Array; ms: number }>();

  for (const k of ks) {
    const account = (await world.store.createUser(`sim-${user.index}-k${k}`)).user.id;
    // 1. The onboarding pool: the service's set, copied into the account.
    const attrsOf = await copyPool(world, pool, account);

    // 2. Onboarding: k choices between the pairs the product proposes.
    const noise = userRng(o.seed, user.index, 2);
    for (let i = 0; i < k; i++) {
      const pair = await world.feedback.nextPair(account);
      if (!pair) break;
      const aWins = prefersFirst(user, attrsOf(pair.a), attrsOf(pair.b), o.temperature, noise);
      await world.feedback.record(account, [{ kind: 'choice', winner: aWins ? pair.a : pair.b, loser: aWins ? pair.b : pair.a, at: Date.now() }]);
    }
    profiles[String(k)] = profileAgreement(world, user, await world.feedback.profile(account));

    // 3. Held-out prompts: base once per user, then each variant from the same seed.
    const variants: Variant[] = k === o.ablationK ? ['all', 'rewrite', 'guidance', 'rerank'] : ['all'];
    for (const h of heldOut) {
      if (!base.has(h.seed)) {
        const b = await runJob(world, world.deps, account, { prompt: h.prompt, n: 1, candidates: 1, seed: h.seed, steps: o.steps, personalization: 0 });
        base.set(h.seed, { attrs: b.images[0]!.attrs, pixels: b.images[0]!.pixels, ms: b.ms });
      }
      const b = base.get(h.seed)!;
      for (const variant of variants) {
        const features = VARIANTS[variant];
        const p = await runJob(world, { ...world.deps, features }, account, { prompt: h.prompt, n: 1, candidates: features.rerank ? o.candidates : 1, seed: h.seed, steps: o.steps });
        const im = p.images[0]!;
        const added = world.deps.personalizer.catalog.mentioned(p.result.rewrittenPrompt).filter((d) => d.family !== 'shape');
        const named = added.filter((d) => d.id in user.taste);
        const u = { base: user.utility(b.attrs), personalized: user.utility(im.attrs) };
        comparisons.push({
          user: user.index, k, variant, prompt: h.prompt, seed: h.seed, rewrittenPrompt: p.result.rewrittenPrompt, negativePrompt: p.result.negativePrompt,
          base: b.attrs, personalized: im.attrs, utility: u, score: outcome(u.personalized, u.base),
          faithful: { base: b.attrs.shape === h.shape, personalized: im.attrs.shape === h.shape },
          ms: { base: b.ms, personalized: p.ms },
          rewriteNamed: named.length, rewriteShown: named.filter((d) => im.attrs[d.family] === d.value).length, rewriteOffWorld: added.length - named.length,
        });
        if (variant === 'all' && k === ks.at(-1)) sheet = [...sheet, { prompt: h.prompt, base: b.pixels, personalized: im.pixels, score: comparisons.at(-1)!.score }];
      }
    }
  }
  return { user: user.index, strongDislike: user.strongDislike, comparisons, profiles, sheet, tagger: pool.tagger };
}

/**
 * The community a service has before the measured users arrive: `community.length` other
 * users of the same population onboard through the product (k choices each on the service's
 * onboarding pool), then the product fits the population prior from the store exactly as
 * `npm run prior:fit` does (pipeline/population.ts) and the personalizer starts every new user
 * from it. Returns what was fitted on.
 */
export async function runCommunity(world: BenchWorld, community: readonly SimulatedUser[], pool: OnboardingPool, o: ProtocolOptions & { communityChoices: number }): Promise<{ users: number; judgements: number }> {
  for (const user of community) {
    const account = (await world.store.createUser(`community-${user.index}`)).user.id;
    const attrsOf = await copyPool(world, pool, account);
    const noise = userRng(o.seed, 1_000_000 + user.index, 2);
    for (let i = 0; i < o.communityChoices; i++) {
      const pair = await world.feedback.nextPair(account);
      if (!pair) break;
      const aWins = prefersFirst(user, attrsOf(pair.a), attrsOf(pair.b), o.temperature, noise);
      await world.feedback.record(account, [{ kind: 'choice', winner: aWins ? pair.a : pair.b, loser: aWins ? pair.b : pair.a, at: Date.now() }]);
    }
  }
  const { priors, json } = await fitPopulationPriors(world.deps.personalizer, world.store);
  world.deps.personalizer.setPriors(priors);
  return { users: json.fitted.users, judgements: json.fitted.judgements };
}

/** Whether the learned likes sit above the family's mean hidden taste, and the dislikes below. */
function profileAgreement(world: BenchWorld, user: SimulatedUser, profile: { liked: readonly { attribute: string }[]; disliked: readonly { attribute: string }[] }) {
  const catalog = world.deps.personalizer.catalog;
  const ids = (list: readonly { attribute: string }[]) => list.flatMap((w) => {
    const d = catalog.lookup(w.attribute);
    return d && d.id in user.taste ? [d.id] : [];
  });
  const centered = (id: string) => {
    const family = id.slice(0, id.indexOf(':'));
    const values = vocabulary.families[family]!.values.map((v) => user.taste[`${family}:${v}`]!);
    return user.taste[id]! - values.reduce((a, b) => a + b, 0) / values.length;
  };
  const liked = ids(profile.liked), disliked = ids(profile.disliked);
  const agree = liked.filter((id) => centered(id) > 0).length + disliked.filter((id) => centered(id) < 0).length;
  const total = liked.length + disliked.length;
  return { liked, disliked, agreement: total ? agree / total : null };
}

/** Whether the attributes the product stored for its pool images (zero-shot tags) match what the judge reads. */
function taggerAgreement(world: BenchWorld, rows: readonly { seed: number; attributes: readonly string[] }[], judged: ReadonlyMap<number, Attributes>): Record<string, number> {
  const catalog = world.deps.personalizer.catalog;
  const families = vocabulary.caption_order.filter((f) => vocabulary.families[f]!.kind === 'style');
  return Object.fromEntries(families.map((f) => {
    const agree = rows.filter((row) => row.attributes.some((text) => {
      const d = catalog.lookup(text);
      return d?.family === f && judged.get(row.seed)?.[f] === d.value;
    })).length;
    return [f, rows.length ? agree / rows.length : NaN];
  }));
}
