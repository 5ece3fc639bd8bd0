// Preference benchmark: simulated users with hidden tastes over the world's style attributes
// judge images drawn by the world's own renderer, so the scorer is measured apart from
// generation. Reports held-out pairwise accuracy after 1..32 choices for:
//   population-mean            w_u = the prior's mean (no data of the user)
//   per-user                   Bradley-Terry on the user's random pairs, ridge prior
//   prior+per-user             the same pairs, LoRe low-rank population prior (full refit)
//   prior+per-user-online      the same, by online updates (what a live profile holds)
//   prior+per-user+onboarding  the product's default: pairs picked by onboarding (nextPair)
// plus the p99 online profile update for a user with 1,000 events and the rerank time for
// 16 candidates (embedding excluded).
//   npm run bench:prefs -- [--json] [--users 100] [--seed 1] [--idiosyncrasy 0.3]
//
// The population: a user's utility over the 18 style values is u = F c / 2 + s e: 4 taste
// factors F shared by everyone, c and e drawn per user, s the idiosyncrasy (0.3 by default),
// so a population prior has structure to learn, as LoRe assumes. Choices are noisy
// (P(a) = sigmoid((u_a - u_b) / 0.3)); held-out pairs (other images) are scored against the
// noiseless utility, near-ties (|u_a - u_b| < 0.1) left out. The prior is fitted on 200
// other users with 64 random choices each.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { AttributeCatalog } from '../../prefs/attributes.ts';
import { fitBradleyTerry, updateBelief, beliefFromPrior, type Observation } from '../../prefs/bradley-terry.ts';
import type { ImageFacts } from '../../prefs/history.ts';
import { dot } from '../../prefs/linalg.ts';
import type { Embedder } from '../../prefs/ports.ts';
import { fitPopulationPrior, isotropicPrior, type PopulationPrior } from '../../prefs/prior.ts';
import { nextPair } from '../../prefs/onboarding.ts';
import { applyEvent, initialState } from '../../prefs/profile.ts';
import { rerank } from '../../prefs/rerank.ts';
import { mulberry32, pick, type Rng } from '../world/prng.ts';
import { render } from '../world/render.ts';
import { randomAttributes } from '../world/sample.ts';
import { vocabulary, type Attributes } from '../world/vocabulary.ts';
import { makeUsers as makeTastes, sigmoid, STYLE, tasteFactors } from './simulated-users.ts';

export const CHOICE_COUNTS = [1, 2, 4, 8, 16, 32] as const;
export const METHODS = ['population-mean', 'per-user', 'prior+per-user', 'prior+per-user-online', 'prior+per-user+onboarding'] as const;
export const DEFAULT_METHOD = 'prior+per-user+onboarding';

export interface PrefsBenchOptions {
  readonly testUsers?: number;
  readonly trainUsers?: number;
  readonly trainChoices?: number;
  readonly poolSize?: number;
  readonly heldOutPairs?: number;
  readonly rank?: number;
  readonly seed?: number;
  readonly updateEvents?: number;
  /** Standard deviation of each user's own part of their taste, against 1 for the shared part. */
  readonly idiosyncrasy?: number;
}

export interface PrefsBenchSummary {
  readonly accuracy: Record<string, number>;
  readonly methods: Record<string, Record<string, number>>;
  readonly targets: Record<string, boolean>;
  readonly update_p99_ms: number;
  readonly update_p50_ms: number;
  readonly rerank_ms: number;
  readonly setup: Record<string, unknown>;
}

const percentile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

interface Img { id: string; attrs: Attributes; phi: number[] }

async function renderPool(embedder: Embedder, n: number, r: Rng, tag: string): Promise<Img[]> {
  const size = vocabulary.image_size;
  const scenes = Array.from({ length: n }, () => ({ attrs: randomAttributes(r), seed: Math.floor(r() * 2 ** 31) }));
  const out: Img[] = [];
  for (let i = 0; i < n; i += 64) {
    const batch = scenes.slice(i, i + 64);
    const phis = await embedder.embedImages(batch.map((s) => ({ pixels: render(s.attrs, s.seed), width: size, height: size })));
    batch.forEach((s, j) => out.push({ id: `${tag}${i + j}`, attrs: s.attrs, phi: phis[j]! }));
  }
  return out;
}

/** Hidden taste (simulated-users.ts): u = F c / sqrt(k) + s e over the style values; F shared by the population. */
const makeUsers = (count: number, factors: number[][], s: number, r: Rng) => makeTastes(count, factors, s, r).map((u) => u.utility);

function choices(u: (a: Attributes) => number, pool: Img[], n: number, r: Rng): Observation[] {
  return Array.from({ length: n }, () => {
    const a = pick(r, pool);
    let b = pick(r, pool);
    while (b === a) b = pick(r, pool);
    const aWins = r() < sigmoid((u(a.attrs) - u(b.attrs)) / 0.3);
    const [w, l] = aWins ? [a, b] : [b, a];
    return { x: w.phi.map((v, i) => v - l.phi[i]!), target: 1, weight: 1 };
  });
}

/** Onboarding: each choice is the most informative pair among a fresh sample of images, under the fit so far. */
function onboardingChoices(u: (a: Attributes) => number, pool: Img[], n: number, prior: PopulationPrior, r: Rng): Observation[] {
  let belief = beliefFromPrior(prior);
  const out: Observation[] = [];
  for (let i = 0; i < n; i++) {
    const sample = Array.from({ length: 64 }, () => pick(r, pool));
    const pair = nextPair(belief, sample.map((img) => ({ id: img.id, embedding: img.phi })))!;
    const a = pool.find((img) => img.id === pair.a)!, b = pool.find((img) => img.id === pair.b)!;
    const aWins = r() < sigmoid((u(a.attrs) - u(b.attrs)) / 0.3);
    const [w, l] = aWins ? [a, b] : [b, a];
    const o = { x: w.phi.map((v, k) => v - l.phi[k]!), target: 1, weight: 1 };
    belief = updateBelief(belief, o);
    out.push(o);
  }
  return out;
}

function heldOut(u: (a: Attributes) => number, pool: Img[], n: number, r: Rng): { x: number[]; sign: number }[] {
  const out: { x: number[]; sign: number }[] = [];
  for (let tries = 0; out.length < n && tries < 20 * n; tries++) {
    const a = pick(r, pool), b = pick(r, pool);
    const du = u(a.attrs) - u(b.attrs);
    if (Math.abs(du) >= 0.1) out.push({ x: a.phi.map((v, i) => v - b.phi[i]!), sign: Math.sign(du) });
  }
  return out;
}

export async function runPrefsBench(embedder: Embedder, options: PrefsBenchOptions = {}): Promise<PrefsBenchSummary> {
  const o = { testUsers: 100, trainUsers: 200, trainChoices: 64, poolSize: 400, heldOutPairs: 300, rank: 6, seed: 1, updateEvents: 1000, idiosyncrasy: 0.3, ...options };
  const r = mulberry32(o.seed);
  const dim = embedder.dim;
  // 1. Images: one pool to choose from, another to test on.
  const trainPool = await renderPool(embedder, o.poolSize, r, 'a');
  const testPool = await renderPool(embedder, o.poolSize, r, 'b');
  // 2. Population prior, fitted on other users' choices.
  const factors = tasteFactors(4, r);
  const center = new Array(dim).fill(0).map((_, i) => trainPool.reduce((s, img) => s + img.phi[i]!, 0) / trainPool.length);
  const population = makeUsers(o.trainUsers, factors, o.idiosyncrasy, r).map((u) => choices(u, trainPool, o.trainChoices, r));
  let t0 = performance.now();
  const prior = fitPopulationPrior(population, dim, { rank: o.rank, center });
  const priorFitMs = performance.now() - t0;
  const variance = prior.covariance.reduce((s, v, i) => (i % (dim + 1) === 0 ? s + v : s), 0) / dim;
  const ridge = isotropicPrior(dim, variance, center);
  // 3. New users: accuracy on held-out pairs after n choices.
  const sums: Record<string, number[]> = Object.fromEntries(METHODS.map((m) => [m, CHOICE_COUNTS.map(() => 0)]));
  const users = makeUsers(o.testUsers, factors, o.idiosyncrasy, r);
  for (const u of users) {
    const stream = choices(u, trainPool, CHOICE_COUNTS.at(-1)!, r);
    const asked = onboardingChoices(u, trainPool, CHOICE_COUNTS.at(-1)!, prior, r);
    const test = heldOut(u, testPool, o.heldOutPairs, r);
    const acc = (w: ArrayLike<number>) => test.filter((p) => Math.sign(dot(w, p.x)) === p.sign).length / test.length;
    let online = beliefFromPrior(prior);
    let done = 0;
    CHOICE_COUNTS.forEach((n, k) => {
      for (; done < n; done++) online = updateBelief(online, stream[done]!);
      sums['population-mean']![k]! += acc(prior.mean);
      sums['per-user']![k]! += acc(fitBradleyTerry(stream.slice(0, n), ridge).mean);
      sums['prior+per-user']![k]! += acc(fitBradleyTerry(stream.slice(0, n), prior).mean);
      sums['prior+per-user-online']![k]! += acc(online.mean);
      sums['prior+per-user+onboarding']![k]! += acc(fitBradleyTerry(asked.slice(0, n), prior).mean);
    });
  }
  const methods = Object.fromEntries(METHODS.map((m) => [m, Object.fromEntries(CHOICE_COUNTS.map((n, k) => [String(n), round(sums[m]![k]! / users.length)]))]));
  const accuracy = methods[DEFAULT_METHOD]!;
  // 4. Online update of a profile with 1,000 events: choices and ratings of known images.
  const update = timeUpdates(prior, trainPool, o.updateEvents, r);
  // 5. Rerank 16 candidates (embeddings computed beforehand, as the job does).
  const [promptEmbedding] = await embedder.embedTexts(['a red striped circle, on a teal background']);
  const candidates = testPool.slice(0, 16).map((img) => ({ id: img.id, embedding: img.phi }));
  const vector = [...prior.mean];
  for (let i = 0; i < 200; i++) rerank({ vector, candidates, promptEmbedding, keep: 4 });
  const reps = 2000;
  t0 = performance.now();
  for (let i = 0; i < reps; i++) rerank({ vector, candidates, promptEmbedding, keep: 4 });
  const rerankMs = (performance.now() - t0) / reps;
  const perUser = methods['per-user']!;
  const withPrior = methods['prior+per-user']!;
  return {
    accuracy, methods,
    targets: {
      'accuracy@8 >= 0.85': accuracy['8']! >= 0.85,
      'accuracy@32 >= 0.92': accuracy['32']! >= 0.92,
      'prior beats per-user at <= 4 choices': ['1', '2', '4'].every((n) => withPrior[n]! > perUser[n]!),
    },
    update_p99_ms: round(update.p99, 4), update_p50_ms: round(update.p50, 4), rerank_ms: round(rerankMs, 4),
    setup: {
      dim, default_method: DEFAULT_METHOD, test_users: o.testUsers, train_users: o.trainUsers, train_choices_per_user: o.trainChoices,
      pool_images: o.poolSize, held_out_pairs_per_user: o.heldOutPairs, prior_rank: prior.basis.length, prior_basis_sd: prior.basis.map((b) => round(Math.hypot(...b), 2)),
      prior_residual_variance: round(prior.residualVariance, 5), prior_fit_ms: Math.round(priorFitMs), choice_temperature: 0.3, idiosyncrasy: o.idiosyncrasy, onboarding_sample: 64, seed: o.seed,
    },
  };
}

/** Online updates of a user who already has `events` events: each timed update meets a long history. */
function timeUpdates(prior: PopulationPrior, pool: Img[], events: number, r: Rng): { p50: number; p99: number } {
  const catalog = AttributeCatalog.create({ world: vocabulary });
  const facts = new Map<string, ImageFacts>(pool.map((img) => [img.id, {
    id: img.id, embedding: img.phi, prompt: '',
    attributes: STYLE.filter((k) => img.attrs[k.split(':')[0]!] === k.split(':')[1]).map((k) => catalog.attributes.find((a) => a.id === k)!.text),
  }]));
  const ctx = { prior, catalog, images: (id: string) => facts.get(id) };
  let state = initialState('bench', ctx);
  const times: number[] = [];
  for (let i = 0; i < 2 * events; i++) {
    const a = pick(r, pool);
    let b = pick(r, pool);
    while (b === a) b = pick(r, pool);
    const event = i % 3 === 2
      ? { kind: 'rating' as const, imageId: a.id, value: r() < 0.5 ? ('like' as const) : ('dislike' as const), at: i }
      : { kind: 'choice' as const, winner: a.id, loser: b.id, at: i };
    const t = performance.now();
    state = applyEvent(state, event, ctx).state;
    if (i >= events) times.push(performance.now() - t);
  }
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, users: { type: 'string', default: '100' }, seed: { type: 'string', default: '1' }, idiosyncrasy: { type: 'string', default: '0.3' } } });
  // The real embedder is the model pack's CLIP pair, built in the one wiring place.
  const wire = (await import('../../adapters/wire.ts')) as unknown as { loadEmbedder?: () => Promise<Embedder & { release?: () => Promise<void> }> };
  if (typeof wire.loadEmbedder !== 'function') throw new Error('adapters/wire.ts does not export loadEmbedder() yet: the bench needs the model pack\'s image embedder');
  const embedder = await wire.loadEmbedder();
  const summary = await runPrefsBench(embedder, { testUsers: Number(values.users), seed: Number(values.seed), idiosyncrasy: Number(values.idiosyncrasy) });
  await embedder.release?.();
  if (values.json) {
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  console.log(`${'choices:'.padEnd(27)}${CHOICE_COUNTS.map((n) => String(n).padStart(6)).join('')}`);
  for (const [m, acc] of Object.entries(summary.methods)) console.log(`${m.padEnd(27)}${CHOICE_COUNTS.map((n) => (100 * acc[String(n)]!).toFixed(1).padStart(6)).join('')}`);
  console.log(`update p99 ${summary.update_p99_ms} ms, rerank(16) ${summary.rerank_ms} ms`);
  for (const [t, ok] of Object.entries(summary.targets)) console.log(`${ok ? 'PASS' : 'FAIL'} ${t}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
