// Writes what bench:personalization found: personalization.json (summary and every
// comparison), report.md (short, says which parts carry the gain and what limits the result),
// win-rate-vs-k.png, ablations.png and contact-sheet.png.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { vocabulary } from '../world/vocabulary.ts';
import { contactSheet, renderChart } from './bench-charts.ts';
import type { UserRun, Variant } from './personalization-protocol.ts';
import { TARGETS, type PersonalizationSummary } from './personalization-summary.ts';

const pct = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
const ci = (c: readonly number[] | undefined) => (c ? `${pct(c[0])} to ${pct(c[1])}` : 'n/a');
const PARTS: Record<Variant, string> = { all: 'all together', rewrite: 'rewrite only', guidance: 'conditioning (guidance terms) only', rerank: 'rerank only' };

export async function writeReport(out: string, summary: PersonalizationSummary, runs: readonly UserRun[], o: { sheetUsers: number }): Promise<string[]> {
  await mkdir(out, { recursive: true });
  const files = ['personalization.json', 'report.md', 'win-rate-vs-k.png', 'ablations.png', 'contact-sheet.png'].map((f) => join(out, f));
  const comparisons = runs.flatMap((r) => r.comparisons);
  await writeFile(files[0]!, JSON.stringify({ summary, profiles: runs.map((r) => ({ user: r.user, strongDislike: r.strongDislike, profiles: r.profiles })), comparisons }, null, 1) + '\n');
  await writeFile(files[1]!, markdown(summary));
  await renderChart(winRateSpec(summary), files[2]!);
  await renderChart(ablationSpec(summary), files[3]!);
  await contactSheet(runs.filter((r) => r.sheet.length).slice(0, o.sheetUsers).map((r) => ({
    label: `user ${r.user}${r.strongDislike ? `, hates ${r.strongDislike.split(':')[1]}` : ''}`,
    cells: r.sheet.map((s) => ({ caption: `${s.prompt}: ${s.score === 1 ? 'win' : s.score === 0 ? 'loss' : 'tie'}`, images: [s.base, s.personalized] })),
  })), { size: vocabulary.image_size, title: `base | personalized, same seed, after k = ${Math.max(...Object.keys(summary.win_rate).map(Number))} choices`, path: files[4]! });
  return files;
}

function winRateSpec(s: PersonalizationSummary): TopLevelSpec {
  const values = Object.entries(s.win_rate).map(([k, w]) => ({ k: Number(k), win: w, lo: s.win_rate_ci[k]![0], hi: s.win_rate_ci[k]![1] }));
  const targets = [{ k: 4, target: TARGETS.winRateAt4 }, { k: 8, target: TARGETS.winRateAt8 }].filter((t) => t.k in s.win_rate);
  const x = { field: 'k', type: 'quantitative', scale: { type: 'log', base: 2 }, axis: { values: values.map((v) => v.k), title: 'onboarding judgements k' } } as const;
  return {
    title: { text: 'Win rate of personalized over base images', subtitle: 'bars: 95% bootstrap CI over users; red diamonds: targets; dashed: chance' }, width: 420, height: 260,
    layer: [
      { data: { values }, mark: { type: 'errorbar', ticks: true }, encoding: { x, y: { field: 'lo', type: 'quantitative', scale: { domain: [0, 1] }, title: 'win rate' }, y2: { field: 'hi' } } },
      { data: { values }, mark: { type: 'line', point: true }, encoding: { x, y: { field: 'win', type: 'quantitative', title: 'win rate' } } },
      { data: { values: targets }, mark: { type: 'point', shape: 'diamond', color: '#d62728', filled: true, size: 80 }, encoding: { x: { field: 'k', type: 'quantitative' }, y: { field: 'target', type: 'quantitative', title: 'win rate' } } },
      { data: { values: [{ y: 0.5 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
    ],
  };
}

function ablationSpec(s: PersonalizationSummary): TopLevelSpec {
  const values = (['rewrite', 'guidance', 'rerank', 'all'] as const).flatMap((v) => {
    const a = s.ablations?.[v];
    return a ? [{ part: PARTS[v], win: a.win_rate, lo: a.win_rate_ci[0], hi: a.win_rate_ci[1] }] : [];
  });
  const y = { field: 'part', type: 'nominal', sort: null, title: null, axis: { labelLimit: 300 } } as const;
  return {
    title: `Ablations at k = ${s.ablations?.k ?? '?'}: win rate over base (95% CI)`, width: 380, height: 160, data: { values },
    layer: [
      { mark: 'bar', encoding: { y, x: { field: 'win', type: 'quantitative', scale: { domain: [0, 1] }, title: 'win rate' } } },
      { mark: { type: 'errorbar', ticks: true }, encoding: { y, x: { field: 'lo', type: 'quantitative', title: 'win rate' }, x2: { field: 'hi' } } },
      { data: { values: [{ x: 0.5 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { x: { field: 'x', type: 'quantitative' } } },
    ],
  };
}

function markdown(s: PersonalizationSummary): string {
  const setup = s.setup as Record<string, unknown>;
  const lines = [
    `# Personalization benchmark: ${setup.model} (${setup.trained_steps ?? '?'} training steps)`, '',
    `${setup.users} simulated users x ${setup.prompts} held-out prompts, onboarding k = ${Object.keys(s.win_rate).join(', ')} pairwise choices (FeedbackLoop.nextPair over a pool of ${setup.pool}), ${s.cost.candidates} rerank candidates, ${setup.steps} steps, seed ${setup.seed}. Command: \`${setup.command}\`.`, '',
    `Judge (separately trained attribute classifier) on ${setup.judge_samples} fresh renders: ${Object.entries(s.judge_accuracy).map(([f, a]) => `${f} ${pct(a)}`).join(', ')}.`, '',
    '## Win rate over the unpersonalized base (same seeds; ties count half)', '',
    '| k | win rate | 95% CI (bootstrap over users) | ties | faithfulness drop |', '|---|---|---|---|---|',
    ...Object.keys(s.win_rate).map((k) => `| ${k} | ${pct(s.win_rate[k])} | ${ci(s.win_rate_ci[k])} | ${pct(s.ties[k])} | ${s.faithfulness_drop_by_k[k]} pts |`), '',
    `Targets: ${Object.entries(s.targets).map(([t, ok]) => `${ok ? 'PASS' : 'FAIL'} ${t}`).join('; ')}.`, '',
  ];
  if (s.ablations) {
    const a = s.ablations;
    lines.push(`## Which parts carry the gain (k = ${a.k})`, '', '| part | win rate | 95% CI | faithfulness drop | extra ms/image |', '|---|---|---|---|---|');
    for (const v of ['rewrite', 'guidance', 'rerank', 'all'] as const) {
      const x = a[v];
      if (x) lines.push(`| ${PARTS[v]} | ${pct(x.win_rate)} | ${ci(x.win_rate_ci)} | ${x.faithfulness_drop} pts | ${x.extra_ms_per_image} |`);
    }
    const singles = (['rewrite', 'guidance', 'rerank'] as const).filter((v) => a[v]).sort((p, q) => a[q]!.win_rate - a[p]!.win_rate);
    const best = singles[0];
    if (best && a.all) {
      const above = (v: Variant) => `${((a[v]!.win_rate - 0.5) * 100).toFixed(1)} points above chance`;
      lines.push('', `Alone, ${PARTS[best]} carries the most (${above(best)}), then ${singles.slice(1).map((v) => `${PARTS[v]} (${above(v)})`).join(' and ')}; all together ${above('all')}, ${((a.all.win_rate - a[best]!.win_rate) * 100).toFixed(1)} points from the best single part.${singles.filter((v) => a[v]!.win_rate_ci[0] <= 0.5).length ? ` Intervals that include 50%: ${singles.filter((v) => a[v]!.win_rate_ci[0] <= 0.5).map((v) => PARTS[v]).join(', ')}.` : ''}`);
    }
    lines.push('');
  }
  const d = s.diagnostics;
  lines.push(
    '## Faithfulness and cost', '',
    `The judge sees the prompt's shape in ${pct(s.faithfulness.base)} of base images and ${Object.entries(s.faithfulness.personalized).map(([k, f]) => `${pct(f)} at k = ${k}`).join(', ')} of personalized ones: a drop of ${s.faithfulness_drop} points over all k (target <= ${TARGETS.maxFaithfulnessDrop}).`,
    `A personalized image costs ${s.cost.personalized_ms_per_image} ms against ${s.cost.base_ms_per_image} ms for the base (${s.cost.extra_ms_per_image} ms more, ${s.cost.candidates} candidates and the guidance passes included; whole jobs, embedding and storage included).`, '',
    '## What limits the result', '',
    `- Tags: the product learns from its own zero-shot tags of the images it shows; on the onboarding pools they agree with the judge for ${Object.entries(d.tagger_agreement).map(([f, a]) => `${f} ${pct(a)}`).join(', ')}.`,
    `- Profile: the liked and disliked world values the profile holds agree in sign with the hidden taste ${Object.entries(d.profile_agreement).map(([k, a]) => `${pct(a)} at k = ${k}`).join(', ')} (values held: ${Object.entries(d.profile_values).map(([k, n]) => `${n} at k = ${k}`).join(', ')}).`,
    `- Model: of the world's style words in the rewritten prompts, the judge sees ${Object.entries(d.rewrite_followed).map(([k, f]) => `${pct(f)} at k = ${k}`).join(', ')} in the personalized images.`,
    `- Vocabulary: ${Object.entries(d.rewrite_off_world).map(([k, f]) => `${pct(f)} at k = ${k}`).join(', ')} of rewritten prompts add a term the world has no value for (the catalog's general colours such as pink: the product's zero-shot tagger can tag images with them).`,
    s.faithfulness.base < 0.95
      ? `- Base faithfulness is ${pct(s.faithfulness.base)}: the model often draws another shape than asked, so faithfulness differences between base and personalized images are noisy at this size.`
      : `- Base faithfulness is ${pct(s.faithfulness.base)}: the model draws the shape asked, so a drop would show.`,
    `- Strong dislikes (${d.strong_dislike_shown.users} users): the disliked value shows in ${pct(d.strong_dislike_shown.base)} of their base images and ${pct(d.strong_dislike_shown.personalized)} of their personalized ones.`,
    `- Population prior: ${setup.prior}.${Number(setup.users) < 50 ? ` Only ${setup.users} users: intervals are wide.` : ''}`, '',
    '![win rate vs k](win-rate-vs-k.png)', '', '![ablations](ablations.png)', '', '![base vs personalized](contact-sheet.png)', '',
  );
  return lines.join('\n');
}
