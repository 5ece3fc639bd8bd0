// Preference benchmark: simulated users with hidden tastes over the world's style attributes
// judge images drawn by the world's own renderer, so the scorer is measured apart from
// generation. Reports held-out pairwise accuracy after 1..32 choices for:
//   population-mean            w_u = the image-space prior's mean (no data of the user)
//   per-user                   Bradley-Terry on the embedding, the user's random pairs, ridge prior
//   prior+per-user             the same pairs, LoRe low-rank population prior (full refit)
//   prior+per-user-online      the same, by online updates
//   prior+per-user+onboarding  the same prior, pairs picked by onboarding (nextPair)
//   attributes:...+onboarding  on the attribute indicators of the product's own tags alone
//   joint:...+onboarding       the product's default: embedding and attributes in one model
//                              (prefs/preference-space.ts), pairs picked in that space
// and, as a ceiling, the oracle: the simulation's true features and prior, exact Bayes. Plus
// the p99 online profile update for a user with 1,000 events (and the in-place update on each
// covariance kernel, SIMD and JavaScript, side by side) and the rerank time for 16 candidates
// (embedding excluded).
//   npm run bench:prefs -- [--json] [--users 100] [--seed 1] [--idiosyncrasy 0.3]
//
// The population: a user's utility over the 18 style values is u = F c / 2 + s e: 4 taste
// factors F shared by everyone, c and e drawn per user, s the idiosyncrasy (0.3 by default),
// so a population prior has structure to learn, as LoRe assumes. Choices are noisy
// (P(a) = sigmoid((u_a - u_b) / 0.3)); held-out pairs (other images) are scored against the
// noiseless utility, near-ties (|u_a - u_b| < 0.1) left out. The priors are fitted on 200
// other users with 64 random choices each.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { AttributeCatalog } from '../../prefs/attributes.ts';
import { fitBradleyTerry, updateBelief, beliefFromPrior, type GaussianPrior, type Observation } from '../../prefs/bradley-terry.ts';
import type { ImageFacts } from '../../prefs/history.ts';
import { dot } from '../../prefs/linalg.ts';
import { preferenceSpace } from '../../prefs/preference-space.ts';
import type { Embedder } from '../../prefs/ports.ts';
import { fitPopulationPrior, isotropicPrior, makePrior, type PopulationPrior } from '../../prefs/prior.ts';
import { attributeSpace } from '../../prefs/attribute-space.ts';
import { Personalizer } from '../../pipeline/personalizer.ts';
import { nextPair } from '../../prefs/onboarding.ts';
import { applyEvent, initialState } from '../../prefs/profile.ts';
import { covarianceKernel, residentCovariance, useCovarianceKernel } from '../../prefs/kernels/covariance.ts';
import { rerank } from '../../prefs/rerank.ts';
import { mulberry32, pick, type Rng } from '../world/prng.ts';
import { render } from '../world/render.ts';
import { randomAttributes } from '../world/sample.ts';
import { vocabulary, type Attributes } from '../world/vocabulary.ts';
import { makeUsers as makeTastes, sigmoid, STYLE, tasteFactors } from './simulated-users.ts';

export const CHOICE_COUNTS = [1, 2, 4, 8, 16, 32] as const;
export const METHODS = ['population-mean', 'per-user', 'prior+per-user', 'prior+per-user-online', 'prior+per-user+onboarding', 'attributes:prior+per-user+onboarding', 'joint:prior+per-user+onboarding'] as const;
/** Not a method the product can run: the ceiling, with the simulation's true features and prior. */
export const REFERENCES = ['oracle'] as const;
export const DEFAULT_METHOD = 'joint:prior+per-user+onboarding';

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
  /** The oracle (true features, true prior, exact Bayes): what no method can beat, for scale. */
  readonly ceiling: Record<string, number>;
  readonly targets: Record<string, boolean>;
  readonly update_p99_ms: number;
  readonly update_p50_ms: number;
  readonly rerank_ms: number;
  /** In-place updates (the service's) on each covariance kernel, the same events. */
  readonly update_in_place_p50_ms: { readonly js: number; readonly wasm: number; readonly wasm_resident: number; readonly js_over_wasm: number; readonly js_over_wasm_resident: number };
  readonly setup: Record<string, unknown>;
}

const percentile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

/** A rendered image: its true attributes, its embedding, and the attribute indicators of the product's own zero-shot tags. */
interface Img { id: string; attrs: Attributes; phi: number[]; tags: string[]; t: Float64Array }

async function renderPool(personalizer: Personalizer, n: number, r: Rng, tag: string): Promise<Img[]> {
  const size = vocabulary.image_size;
  const space = attributeSpace(personalizer.catalog);
  const scenes = Array.from({ length: n }, () => ({ attrs: randomAttributes(r), seed: Math.floor(r() * 2 ** 31) }));
  const out: Img[] = [];
  for (let i = 0; i < n; i += 64) {
    const batch = scenes.slice(i, i + 64);
    const described = await personalizer.describe(batch.map((s) => ({ pixels: render(s.attrs, s.seed), width: size, height: size })), '');
    batch.forEach((s, j) => out.push({ id: `${tag}${i + j}`, attrs: s.attrs, phi: described[j]!.embedding, tags: described[j]!.attributes, t: space.indicator(described[j]!.attributes) }));
  }
  return out;
}

/** Hidden taste (simulated-users.ts): u = F c / sqrt(k) + s e over the style values; F shared by the population. */
const makeUsers = (count: number, factors: number[][], s: number, r: Rng) => makeTastes(count, factors, s, r).map((u) => u.utility);

/** The simulation's own model: one-hot style values as features, N(0, F F' / K + s^2 I) as the prior. */
function oracleModel(factors: readonly number[][], s: number): { prior: PopulationPrior; feature: Feature } {
  const onehot = new Map<Img, Float64Array>();
  const feature: Feature = (img) => {
    let x = onehot.get(img);
    if (!x) onehot.set(img, (x = Float64Array.from(STYLE, (key) => (img.attrs[key.slice(0, key.indexOf(':'))] === key.slice(key.indexOf(':') + 1) ? 1 : 0))));
    return x;
  };
  const prior = makePrior({ dim: STYLE.length, residualVariance: s * s, basis: factors.map((f) => f.map((x) => x / Math.sqrt(factors.length))) });
  return { prior, feature };
}

/** A judged pair: the winner first. */
interface Judged { w: Img; l: Img }
type Feature = (img: Img) => ArrayLike<number>;
const byPhi: Feature = (img) => img.phi;
const byTags: Feature = (img) => img.t;
const observe = (pairs: readonly Judged[], f: Feature): Observation[] => pairs.map(({ w, l }) => {
  const a = f(w), b = f(l);
  return { x: Array.from(a, (v, i) => v - b[i]!), target: 1, weight: 1 };
});

function judge(u: (a: Attributes) => number, a: Img, b: Img, r: Rng): Judged {
  return r() < sigmoid((u(a.attrs) - u(b.attrs)) / 0.3) ? { w: a, l: b } : { w: b, l: a };
}

function choices(u: (a: Attributes) => number, pool: Img[], n: number, r: Rng): Judged[] {
  return Array.from({ length: n }, () => {
    const a = pick(r, pool);
    let b = pick(r, pool);
    while (b === a) b = pick(r, pool);
    return judge(u, a, b, r);
  });
}

/** Onboarding: each choice is the most informative pair among a fresh sample of images, under the fit so far, in the feature's space. */
function onboardingChoices(u: (a: Attributes) => number, pool: Img[], n: number, prior: GaussianPrior, f: Feature, r: Rng): Judged[] {
  let belief = beliefFromPrior(prior);
  const out: Judged[] = [];
  for (let i = 0; i < n; i++) {
    const sample = Array.from({ length: 64 }, () => pick(r, pool));
    const pair = nextPair(belief, sample.map((img) => ({ id: img.id, embedding: f(img) })))!;
    const judged = judge(u, pool.find((img) => img.id === pair.a)!, pool.find((img) => img.id === pair.b)!, r);
    belief = updateBelief(belief, observe([judged], f)[0]!);
    out.push(judged);
  }
  return out;
}

function heldOut(u: (a: Attributes) => number, pool: Img[], n: number, r: Rng): { a: Img; b: Img; sign: number }[] {
  const out: { a: Img; b: Img; sign: number }[] = [];
  for (let tries = 0; out.length < n && tries < 20 * n; tries++) {
    const a = pick(r, pool), b = pick(r, pool);
    const du = u(a.attrs) - u(b.attrs);
    if (Math.abs(du) >= 0.1) out.push({ a, b, sign: Math.sign(du) });
  }
  return out;
}

export async function runPrefsBench(embedder: Embedder, options: PrefsBenchOptions = {}): Promise<PrefsBenchSummary> {
  const o = { testUsers: 100, trainUsers: 200, trainChoices: 64, poolSize: 400, heldOutPairs: 300, rank: 6, seed: 1, updateEvents: 1000, idiosyncrasy: 0.3, ...options };
  const r = mulberry32(o.seed);
  const dim = embedder.dim;
  const catalog = AttributeCatalog.create({ world: vocabulary });
  const space = attributeSpace(catalog);
  // The product's own zero-shot tagger (Personalizer.describe) reads each image's attributes.
  const personalizer = new Personalizer({ catalog, prior: isotropicPrior(dim, 1), embedder, extractor: { extract: async () => ({ liked: [], disliked: [] }) } });
  // 1. Images: one pool to choose from, another to test on.
  const trainPool = await renderPool(personalizer, o.poolSize, r, 'a');
  const testPool = await renderPool(personalizer, o.poolSize, r, 'b');
  // 2. Population priors, fitted on other users' choices: over w (image space) and over v (attributes).
  const factors = tasteFactors(4, r);
  const center = new Array(dim).fill(0).map((_, i) => trainPool.reduce((s, img) => s + img.phi[i]!, 0) / trainPool.length);
  const population = makeUsers(o.trainUsers, factors, o.idiosyncrasy, r).map((u) => choices(u, trainPool, o.trainChoices, r));
  let t0 = performance.now();
  const prior = fitPopulationPrior(population.map((p) => observe(p, byPhi)), dim, { rank: o.rank, center });
  const priorFitMs = performance.now() - t0;
  const attributePrior = fitPopulationPrior(population.map((p) => observe(p, byTags)), space.dim, { rank: o.rank, center: space.center });
  const variance = prior.covariance.reduce((s, v, i) => (i % (dim + 1) === 0 ? s + v : s), 0) / dim;
  const ridge = isotropicPrior(dim, variance, center);
  // The oracle: the true features (each image's real style values) and the true prior of the
  // simulation (u = F c / 2 + s e), exact Bayes with the same onboarding: the ceiling any
  // method can reach with this many choices, for these users and this choice noise.
  const truth = oracleModel(factors, o.idiosyncrasy);
  // The product's space: phi = [embedding; attribute indicators], block prior (preference-space.ts).
  const joint = preferenceSpace(catalog, prior, attributePrior);
  const jointCache = new Map<Img, Float64Array>();
  const byJoint: Feature = (img) => {
    let x = jointCache.get(img);
    if (!x) jointCache.set(img, (x = joint.features({ embedding: img.phi, attributes: img.tags })));
    return x;
  };
  // 3. New users: accuracy on held-out pairs after n choices.
  const sums: Record<string, number[]> = Object.fromEntries([...METHODS, ...REFERENCES].map((m) => [m, CHOICE_COUNTS.map(() => 0)]));
  const users = makeUsers(o.testUsers, factors, o.idiosyncrasy, r);
  const last = CHOICE_COUNTS.at(-1)!;
  for (const u of users) {
    const stream = choices(u, trainPool, last, r);
    const asked = onboardingChoices(u, trainPool, last, prior, byPhi, r);
    const askedByTags = onboardingChoices(u, trainPool, last, attributePrior, byTags, r);
    const askedJointly = onboardingChoices(u, trainPool, last, joint.prior, byJoint, r);
    const askedOracle = onboardingChoices(u, trainPool, last, truth.prior, truth.feature, r);
    const test = heldOut(u, testPool, o.heldOutPairs, r);
    const acc = (score: (img: Img) => number) => test.filter((p) => Math.sign(score(p.a) - score(p.b)) === p.sign).length / test.length;
    const linear = (w: ArrayLike<number>, f: Feature) => (img: Img) => dot(w, f(img));
    let online = beliefFromPrior(prior);
    let done = 0;
    CHOICE_COUNTS.forEach((n, k) => {
      for (; done < n; done++) online = updateBelief(online, observe([stream[done]!], byPhi)[0]!);
      const add = (m: string, score: (img: Img) => number) => (sums[m]![k]! += acc(score));
      add('population-mean', linear(prior.mean, byPhi));
      add('per-user', linear(fitBradleyTerry(observe(stream.slice(0, n), byPhi), ridge).mean, byPhi));
      add('prior+per-user', linear(fitBradleyTerry(observe(stream.slice(0, n), byPhi), prior).mean, byPhi));
      add('prior+per-user-online', linear(online.mean, byPhi));
      add('prior+per-user+onboarding', linear(fitBradleyTerry(observe(asked.slice(0, n), byPhi), prior).mean, byPhi));
      add('attributes:prior+per-user+onboarding', linear(fitBradleyTerry(observe(askedByTags.slice(0, n), byTags), attributePrior).mean, byTags));
      add('joint:prior+per-user+onboarding', linear(fitBradleyTerry(observe(askedJointly.slice(0, n), byJoint), joint.prior).mean, byJoint));
      add('oracle', linear(fitBradleyTerry(observe(askedOracle.slice(0, n), truth.feature), truth.prior).mean, truth.feature));
    });
  }
  const table = (m: string) => Object.fromEntries(CHOICE_COUNTS.map((n, k) => [String(n), round(sums[m]![k]! / users.length)]));
  const methods = Object.fromEntries(METHODS.map((m) => [m, table(m)]));
  const accuracy = methods[DEFAULT_METHOD]!;
  // 4. Online update of a profile with 1,000 events: choices and ratings of known images.
  const update = timeUpdates(prior, trainPool, o.updateEvents, r);
  // 4b. The same in-place updates (as the service folds a rating) on each covariance kernel, one
  // event stream: prefs/kernels/covariance.ts, the SIMD kernel against its JavaScript twin.
  const chosen = covarianceKernel();
  const kernels = Object.fromEntries((['js', 'wasm', 'wasm-resident'] as const).map((kind) => {
    useCovarianceKernel(kind === 'js' ? 'js' : 'wasm');
    try {
      return [kind, timeUpdates(prior, trainPool, o.updateEvents, mulberry32(o.seed + 7), { inPlace: true, resident: kind === 'wasm-resident' })];
    } finally {
      useCovarianceKernel(chosen);
    }
  }));
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
    accuracy, methods, ceiling: table('oracle'),
    targets: {
      'accuracy@8 >= 0.85': accuracy['8']! >= 0.85,
      'accuracy@32 >= 0.92': accuracy['32']! >= 0.92,
      'prior beats per-user at <= 4 choices': ['1', '2', '4'].every((n) => withPrior[n]! > perUser[n]!),
    },
    update_p99_ms: round(update.p99, 4), update_p50_ms: round(update.p50, 4), rerank_ms: round(rerankMs, 4),
    update_in_place_p50_ms: {
      js: round(kernels.js!.p50, 4), wasm: round(kernels.wasm!.p50, 4), wasm_resident: round(kernels['wasm-resident']!.p50, 4),
      js_over_wasm: round(kernels.js!.p50 / kernels.wasm!.p50, 2), js_over_wasm_resident: round(kernels.js!.p50 / kernels['wasm-resident']!.p50, 2),
    },
    setup: {
      dim, default_method: DEFAULT_METHOD, test_users: o.testUsers, train_users: o.trainUsers, train_choices_per_user: o.trainChoices,
      pool_images: o.poolSize, held_out_pairs_per_user: o.heldOutPairs, prior_rank: prior.basis.length, prior_basis_sd: prior.basis.map((b) => round(Math.hypot(...b), 2)),
      prior_residual_variance: round(prior.residualVariance, 5), prior_fit_ms: Math.round(priorFitMs), choice_temperature: 0.3, idiosyncrasy: o.idiosyncrasy, onboarding_sample: 64, seed: o.seed,
    },
  };
}

/** Online updates of a user who already has `events` events: each timed update meets a long history. */
function timeUpdates(prior: PopulationPrior, pool: Img[], events: number, r: Rng, options: { inPlace?: boolean; resident?: boolean } = {}): { p50: number; p99: number } {
  const catalog = AttributeCatalog.create({ world: vocabulary });
  const facts = new Map<string, ImageFacts>(pool.map((img) => [img.id, {
    id: img.id, embedding: img.phi, prompt: '',
    attributes: STYLE.filter((k) => img.attrs[k.split(':')[0]!] === k.split(':')[1]).map((k) => catalog.attributes.find((a) => a.id === k)!.text),
  }]));
  const ctx = { prior, catalog, images: (id: string) => facts.get(id) };
  let state = initialState('bench', ctx);
  // As the personalizer caches a state: its covariance in the kernel's memory.
  if (options.resident) state = { ...state, belief: { ...state.belief, covariance: residentCovariance(state.belief.covariance, state.belief.dim) } };
  const times: number[] = [];
  for (let i = 0; i < 2 * events; i++) {
    const a = pick(r, pool);
    let b = pick(r, pool);
    while (b === a) b = pick(r, pool);
    const event = i % 3 === 2
      ? { kind: 'rating' as const, imageId: a.id, value: r() < 0.5 ? ('like' as const) : ('dislike' as const), at: i }
      : { kind: 'choice' as const, winner: a.id, loser: b.id, at: i };
    const t = performance.now();
    state = applyEvent(state, event, ctx, undefined, options).state;
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
  console.log(`${'choices:'.padEnd(38)}${CHOICE_COUNTS.map((n) => String(n).padStart(6)).join('')}`);
  for (const [m, acc] of [...Object.entries(summary.methods), ['(ceiling) oracle', summary.ceiling] as const]) console.log(`${m.padEnd(38)}${CHOICE_COUNTS.map((n) => (100 * acc[String(n)]!).toFixed(1).padStart(6)).join('')}`);
  console.log(`update p99 ${summary.update_p99_ms} ms, rerank(16) ${summary.rerank_ms} ms`);
  const k = summary.update_in_place_p50_ms;
  console.log(`in-place update p50: JavaScript loops ${k.js} ms, SIMD kernel ${k.wasm} ms (${k.js_over_wasm}x), on a resident covariance ${k.wasm_resident} ms (${k.js_over_wasm_resident}x)`);
  for (const [t, ok] of Object.entries(summary.targets)) console.log(`${ok ? 'PASS' : 'FAIL'} ${t}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
