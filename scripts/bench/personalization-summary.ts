// The benchmark's numbers from the users' comparisons: win rate with intervals per k, the
// ablations, faithfulness (base vs personalized, in points), cost per image, and diagnostics
// that say what limits the result (how often the learned profile agrees with the hidden
// taste; how often the model draws the style words the rewrite adds).
import type { Comparison, UserRun, Variant } from './personalization-protocol.ts';
import { winRate } from './win-rate.ts';

export const TARGETS = { winRateAt4: 0.85, winRateAt8: 0.9, maxFaithfulnessDrop: 2, judgeAccuracy: 0.95 } as const;

export interface VariantSummary {
  readonly win_rate: number;
  readonly win_rate_ci: [number, number];
  readonly faithfulness_drop: number;
  readonly extra_ms_per_image: number;
  readonly comparisons: number;
}

export interface PersonalizationSummary {
  readonly win_rate: Record<string, number>;
  readonly win_rate_ci: Record<string, [number, number]>;
  /** Wilson intervals, comparisons taken as independent (narrower; for reference). */
  readonly win_rate_wilson: Record<string, [number, number]>;
  readonly ties: Record<string, number>;
  readonly faithfulness: { readonly base: number; readonly personalized: Record<string, number> };
  /** Points lost (base minus personalized share, times 100), over every k. */
  readonly faithfulness_drop: number;
  readonly faithfulness_drop_by_k: Record<string, number>;
  readonly judge_accuracy: Record<string, number>;
  readonly ablations: { readonly k: number } & Partial<Record<Variant, VariantSummary>> | null;
  readonly cost: { readonly base_ms_per_image: number; readonly personalized_ms_per_image: number; readonly extra_ms_per_image: number; readonly candidates: number };
  readonly diagnostics: {
    readonly tagger_agreement: Record<string, number>;
    readonly profile_agreement: Record<string, number | null>;
    readonly profile_values: Record<string, number>;
    readonly rewrite_followed: Record<string, number | null>;
    readonly rewrite_off_world: Record<string, number>;
    readonly strong_dislike_shown: { readonly users: number; readonly base: number | null; readonly personalized: number | null };
  };
  readonly targets: Record<string, boolean>;
  readonly setup: Record<string, unknown>;
}

const round = (x: number, digits = 4) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const share = (xs: readonly boolean[]) => mean(xs.map((x) => (x ? 1 : 0)));
const interval = (ci: [number, number]): [number, number] => [round(ci[0]), round(ci[1])];

function byUser(comparisons: readonly Comparison[]): number[][] {
  const groups = new Map<number, number[]>();
  for (const c of comparisons) groups.set(c.user, [...(groups.get(c.user) ?? []), c.score]);
  return [...groups.values()];
}

/** Base images once per (user, seed): every k compares against the same ones. */
function baseFaithfulness(comparisons: readonly Comparison[]): number {
  const seen = new Map<string, boolean>();
  for (const c of comparisons) seen.set(`${c.user}|${c.seed}`, c.faithful.base);
  return share([...seen.values()]);
}

function variantSummary(cs: readonly Comparison[], base: number, seed: number): VariantSummary {
  const w = winRate(byUser(cs), { seed });
  return {
    win_rate: round(w.rate), win_rate_ci: interval(w.ci),
    faithfulness_drop: round(100 * (base - share(cs.map((c) => c.faithful.personalized))), 2),
    extra_ms_per_image: round(mean(cs.map((c) => c.ms.personalized - c.ms.base)), 1),
    comparisons: cs.length,
  };
}

export function summarize(runs: readonly UserRun[], o: { ks: readonly number[]; ablationK?: number; candidates: number; judgeAccuracy: Record<string, number>; setup: Record<string, unknown> }): PersonalizationSummary {
  const all = runs.flatMap((r) => r.comparisons);
  const full = all.filter((c) => c.variant === 'all');
  const base = baseFaithfulness(all);
  const perK = (f: (cs: Comparison[], k: string) => unknown) => Object.fromEntries(o.ks.map((k) => [String(k), f(full.filter((c) => c.k === k), String(k))]));
  const rates = Object.fromEntries(o.ks.map((k) => [String(k), winRate(byUser(full.filter((c) => c.k === k)), { seed: k })]));
  const personalizedFaith = perK((cs) => round(share(cs.map((c) => c.faithful.personalized)))) as Record<string, number>;
  const drop = round(100 * (base - share(full.map((c) => c.faithful.personalized))), 2);

  let ablations: PersonalizationSummary['ablations'] = null;
  if (o.ablationK !== undefined) {
    const at = all.filter((c) => c.k === o.ablationK);
    ablations = { k: o.ablationK, ...Object.fromEntries((['all', 'rewrite', 'guidance', 'rerank'] as const).map((v) => [v, variantSummary(at.filter((c) => c.variant === v), base, o.ablationK!)])) };
  }

  const disliking = runs.filter((r) => r.strongDislike);
  const dislikeShown = (pick: (c: Comparison) => Record<string, string>) => {
    const hits = disliking.flatMap((r) => r.comparisons.filter((c) => c.variant === 'all').map((c) => {
      const [family, value] = r.strongDislike!.split(':');
      return pick(c)[family!] === value;
    }));
    return hits.length ? round(share(hits)) : null;
  };
  const baseMs = mean(full.map((c) => c.ms.base));
  const persMs = mean(full.map((c) => c.ms.personalized));
  const winAt = (k: number) => rates[String(k)]?.rate;
  const judgeMin = Math.min(...Object.values(o.judgeAccuracy));
  return {
    win_rate: Object.fromEntries(Object.entries(rates).map(([k, w]) => [k, round(w.rate)])),
    win_rate_ci: Object.fromEntries(Object.entries(rates).map(([k, w]) => [k, interval(w.ci)])),
    win_rate_wilson: Object.fromEntries(Object.entries(rates).map(([k, w]) => [k, interval(w.wilson)])),
    ties: Object.fromEntries(Object.entries(rates).map(([k, w]) => [k, round(w.comparisons ? w.ties / w.comparisons : NaN)])),
    faithfulness: { base: round(base), personalized: personalizedFaith },
    faithfulness_drop: drop,
    faithfulness_drop_by_k: Object.fromEntries(Object.entries(personalizedFaith).map(([k, f]) => [k, round(100 * (base - f), 2)])),
    judge_accuracy: Object.fromEntries(Object.entries(o.judgeAccuracy).map(([f, a]) => [f, round(a)])),
    ablations,
    cost: { base_ms_per_image: round(baseMs, 1), personalized_ms_per_image: round(persMs, 1), extra_ms_per_image: round(persMs - baseMs, 1), candidates: o.candidates },
    diagnostics: {
      tagger_agreement: Object.fromEntries(Object.keys(runs[0]?.tagger ?? {}).map((f) => [f, round(mean(runs.map((r) => r.tagger[f]!)))])),
      profile_agreement: Object.fromEntries(o.ks.map((k) => {
        const a = runs.map((r) => r.profiles[String(k)]?.agreement).filter((x): x is number => typeof x === 'number');
        return [String(k), a.length ? round(mean(a)) : null];
      })),
      profile_values: Object.fromEntries(o.ks.map((k) => [String(k), round(mean(runs.map((r) => (r.profiles[String(k)]?.liked.length ?? 0) + (r.profiles[String(k)]?.disliked.length ?? 0))), 2)])),
      rewrite_followed: perK((cs) => {
        const named = cs.reduce((s, c) => s + c.rewriteNamed, 0);
        return named ? round(cs.reduce((s, c) => s + c.rewriteShown, 0) / named) : null;
      }) as Record<string, number | null>,
      rewrite_off_world: perK((cs) => round(share(cs.map((c) => c.rewriteOffWorld > 0)))) as Record<string, number>,
      strong_dislike_shown: { users: disliking.length, base: dislikeShown((c) => c.base), personalized: dislikeShown((c) => c.personalized) },
    },
    targets: {
      [`win_rate@4 >= ${TARGETS.winRateAt4}`]: (winAt(4) ?? 0) >= TARGETS.winRateAt4,
      [`win_rate@8 >= ${TARGETS.winRateAt8}`]: (winAt(8) ?? 0) >= TARGETS.winRateAt8,
      [`faithfulness_drop <= ${TARGETS.maxFaithfulnessDrop} points`]: drop <= TARGETS.maxFaithfulnessDrop,
      [`judge_accuracy >= ${TARGETS.judgeAccuracy} (every family)`]: judgeMin >= TARGETS.judgeAccuracy,
    },
    setup: o.setup,
  };
}
