// The headline benchmark: do people prefer the images personalization makes? Simulated users
// (simulated-users.ts) with hidden tastes over the world's style values onboard through the
// product (FeedbackLoop.nextPair pairs, FeedbackLoop.record), then judge base vs personalized
// images of held-out content-only prompts made by runGenerationJob from the same seeds; the
// pack's judge reads what each image shows (personalization-protocol.ts). Reports the win rate
// with 95% intervals for each k, the ablations (rewrite, conditioning, rerank alone), prompt
// faithfulness and cost (personalization-summary.ts), and writes JSON, a Markdown report, plots
// and a contact sheet (personalization-report.ts). Modelled on PPD's and ViPer's evaluations.
//   npm run bench:personalization -- [--users 50] [--k 4,8,16] [--prompts 4] [--json] [--out DIR]
//     [--candidates 4] [--pool 16] [--ablation-k 8] [--steps N] [--seed 1] [--temperature 0.3]
//     [--idiosyncrasy 0.3] [--dislike-share 0.3] [--judge-samples 500] [--model DIR]
//     [--population 100] [--community-choices 16]   (other users the population prior is fitted on; 0: none)
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_MODEL_DIR } from '../../adapters/wire.ts';
import { mulberry32 } from '../world/prng.ts';
import { judgeAccuracy, openBenchWorld } from './bench-world.ts';
import { makeOnboardingPool, runCommunity, runUser, type UserRun, type ProtocolOptions } from './personalization-protocol.ts';
import { writeReport } from './personalization-report.ts';
import { summarize, type PersonalizationSummary } from './personalization-summary.ts';
import { makeUsers, tasteFactors } from './simulated-users.ts';

/** The protocol's options (personalization-protocol.ts) plus the population and the run. */
export interface PersonalizationBenchOptions extends ProtocolOptions {
  readonly users: number;
  readonly idiosyncrasy: number;
  readonly dislikeShare: number;
  readonly dislikePenalty: number;
  readonly judgeSamples: number;
  /** Other users who onboard before the measured ones; the population prior is fitted on them (0: none). */
  readonly population: number;
  /** Choices each of them makes. */
  readonly communityChoices: number;
  readonly threads?: number;
  readonly modelDir?: string;
  readonly command?: string;
}

export const DEFAULTS: PersonalizationBenchOptions = {
  users: 50, ks: [4, 8, 16], prompts: 4, candidates: 4, pool: 16, ablationK: 8, seed: 1,
  temperature: 0.3, idiosyncrasy: 0.3, dislikeShare: 0.3, dislikePenalty: 3, judgeSamples: 500, population: 100, communityChoices: 16, threads: 2,
};

export async function runPersonalizationBench(options: Partial<PersonalizationBenchOptions> = {}, log: (line: string) => void = () => {}): Promise<{ summary: PersonalizationSummary; runs: UserRun[] }> {
  const o = { ...DEFAULTS, ...options };
  if (!(o.pool >= 2 && o.pool <= 64)) throw new Error(`pool: 2..64 images (FeedbackLoop.nextPair reads the latest 64), got ${o.pool}`);
  if (o.ablationK !== undefined && !o.ks.includes(o.ablationK)) throw new Error(`ablation-k ${o.ablationK} must be one of --k ${o.ks.join(',')}`);
  const modelDir = o.modelDir ?? DEFAULT_MODEL_DIR;
  const dir = await mkdtemp(join(tmpdir(), 'atelier-bench-'));
  const world = await openBenchWorld({ dir, modelDir, threads: o.threads });
  try {
    // 1. The judge must be trusted before it judges anything.
    const accuracy = await judgeAccuracy(world.judge, o.judgeSamples, o.seed);
    log(`judge on ${o.judgeSamples} fresh renders: ${JSON.stringify(accuracy)}`);
    // 2. The population: shared taste factors, then each user's own draw.
    const r = mulberry32(o.seed);
    const factors = tasteFactors(4, r);
    const users = makeUsers(o.users, factors, o.idiosyncrasy, r, { dislikeShare: o.dislikeShare, dislikePenalty: o.dislikePenalty });
    // 3. The community before them: the population prior is fitted on its history (none with --population 0).
    // Drawn from a stream of their own, so they are the same whatever --users says.
    const rc = mulberry32((o.seed * 1_000_003 + 17) >>> 0);
    const community = o.population ? makeUsers(o.population, factors, o.idiosyncrasy, rc, { dislikeShare: o.dislikeShare, dislikePenalty: o.dislikePenalty }) : [];
    // The service's onboarding set, which every user (community or measured) onboards on.
    const pool = await makeOnboardingPool(world, o);
    let fitted: { users: number; judgements: number } | undefined;
    if (community.length) {
      const t = performance.now();
      fitted = await runCommunity(world, community, pool, o);
      log(`population prior fitted on ${fitted.users} community users (${fitted.judgements} choices) in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    }
    // 4. Each user through the product.
    const runs: UserRun[] = [];
    const t0 = performance.now();
    for (const user of users) {
      runs.push(await runUser(world, user, pool, o));
      const done = runs.flatMap((x) => x.comparisons).filter((c) => c.variant === 'all');
      log(`user ${runs.length}/${users.length}: win rate so far ${(100 * done.reduce((s, c) => s + c.score, 0) / done.length).toFixed(1)}%, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    const summary = summarize(runs, {
      ks: o.ks, ablationK: o.ablationK, candidates: o.candidates, judgeAccuracy: accuracy,
      setup: {
        model: world.model.name, trained_steps: world.model.trainedSteps, users: o.users, prompts: o.prompts, pool: o.pool, seed: o.seed,
        steps: o.steps ?? world.deps.backend.defaults.steps, judge_samples: o.judgeSamples, temperature: o.temperature, idiosyncrasy: o.idiosyncrasy,
        dislike_share: o.dislikeShare, dislike_penalty: o.dislikePenalty, taste_factors: 4, onboarding: 'pairwise choices proposed by FeedbackLoop.nextPair on the service\'s onboarding set (FeedbackLoop.onboardingPool, every style value shown)',
        base: 'personalization 0, one candidate, same seed', ci: 'percentile bootstrap over users, 2000 resamples',
        prior: fitted
          ? `fitted by the product (pipeline/population.ts, as npm run prior:fit) on ${fitted.users} other simulated users of the same population, ${o.communityChoices} onboarding choices each (${fitted.judgements} in all)`
          : existsSync(join(modelDir, 'prior.json')) ? 'the pack\'s prior.json' : 'none (--population 0: isotropic prior, every user starts from zero)',
        population: o.population, community_choices: o.communityChoices,
        command: o.command ?? 'runPersonalizationBench', wall_s: Math.round((performance.now() - t0) / 1000),
      },
    });
    return { summary, runs };
  } finally {
    await world.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      users: { type: 'string', default: String(DEFAULTS.users) }, k: { type: 'string', default: DEFAULTS.ks.join(',') },
      prompts: { type: 'string', default: String(DEFAULTS.prompts) }, json: { type: 'boolean', default: false },
      out: { type: 'string', default: 'data/bench/personalization' }, candidates: { type: 'string', default: String(DEFAULTS.candidates) },
      pool: { type: 'string', default: String(DEFAULTS.pool) }, 'ablation-k': { type: 'string' }, steps: { type: 'string' },
      seed: { type: 'string', default: String(DEFAULTS.seed) }, temperature: { type: 'string', default: String(DEFAULTS.temperature) },
      idiosyncrasy: { type: 'string', default: String(DEFAULTS.idiosyncrasy) }, 'dislike-share': { type: 'string', default: String(DEFAULTS.dislikeShare) },
      'judge-samples': { type: 'string', default: String(DEFAULTS.judgeSamples) }, population: { type: 'string', default: String(DEFAULTS.population) },
      'community-choices': { type: 'string', default: String(DEFAULTS.communityChoices) }, model: { type: 'string' }, 'sheet-users': { type: 'string', default: '6' },
    },
  });
  const int = (name: string, x: string | undefined, min = 1) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: an integer >= ${min}, got ${x}`);
    return n;
  };
  const ks = v.k.split(',').map((x) => int('k', x.trim()));
  const ablationK = v['ablation-k'] !== undefined ? int('ablation-k', v['ablation-k']) : ks.includes(8) ? 8 : ks[0];
  const { summary, runs } = await runPersonalizationBench({
    users: int('users', v.users), ks, prompts: int('prompts', v.prompts), candidates: int('candidates', v.candidates, 2), pool: int('pool', v.pool, 2), ablationK,
    steps: v.steps === undefined ? undefined : int('steps', v.steps), seed: int('seed', v.seed, 0), temperature: Number(v.temperature), idiosyncrasy: Number(v.idiosyncrasy),
    dislikeShare: Number(v['dislike-share']), judgeSamples: int('judge-samples', v['judge-samples']),
    population: int('population', v.population, 0), communityChoices: int('community-choices', v['community-choices']), modelDir: v.model && resolve(v.model),
    command: `npm run bench:personalization -- ${process.argv.slice(2).join(' ')}`.trim(),
  }, (line) => console.error(line));
  const files = await writeReport(resolve(v.out), summary, runs, { sheetUsers: int('sheet-users', v['sheet-users']) });
  if (v.json) console.log(JSON.stringify(summary, null, 2));
  else {
    for (const k of Object.keys(summary.win_rate)) console.log(`k=${k.padEnd(3)} win rate ${(100 * summary.win_rate[k]!).toFixed(1)}%  95% CI ${summary.win_rate_ci[k]!.map((x) => (100 * x).toFixed(1)).join('..')}%`);
    for (const [part, a] of Object.entries(summary.ablations ?? {})) if (typeof a === 'object') console.log(`  ${part.padEnd(9)} ${(100 * a.win_rate).toFixed(1)}%  faithfulness drop ${a.faithfulness_drop} pts  +${a.extra_ms_per_image} ms/image`);
    console.log(`faithfulness drop ${summary.faithfulness_drop} pts; +${summary.cost.extra_ms_per_image} ms/image; judge ${JSON.stringify(summary.judge_accuracy)}`);
    for (const [t, ok] of Object.entries(summary.targets)) console.log(`${ok ? 'PASS' : 'FAIL'} ${t}`);
  }
  console.error(`wrote ${files.join(', ')}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
