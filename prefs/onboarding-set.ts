// The designed onboarding set: the prompts of the images a new person first chooses between.
// Images of an open prompt ("a shape") drawn from random seeds leave it to chance which style
// values the pool shows, and a value no pool image carries can be neither chosen nor learned
// (16 random images miss one of 6 colours a quarter of the time). As ViPer and PPD do with a
// fixed diverse onboarding set, each prompt here names one value of every style family, so
// that across the set every value appears (as evenly as the count allows: each column is
// balanced) and any two families cross as evenly as they can (near-orthogonal: a choice
// between two images can then be credited to the families they differ in, not to the values
// that happen to travel together). Deterministic for a seed; another seed relabels the design
// so that users do not all see the same combinations.
import type { AttributeCatalog, AttributeDef } from './attributes.ts';
import { PrefsInputError } from './errors.ts';
import { seededRng, shuffled, type Rng } from './random.ts';

export interface OnboardingImage {
  /** The prompt to generate, e.g. "a red striped shape, on a teal background, lit from the left". */
  readonly prompt: string;
  /** The attributes it names, one per style family, in the catalog's order. */
  readonly attributes: readonly AttributeDef[];
}

/** Random restarts of the local search; the best design of them is kept. */
const RESTARTS = 8;

/**
 * `count` prompts covering the catalog's style families: the world's own families when the
 * catalog has a world (the values its images are drawn with), else its exclusive art families.
 */
export function onboardingSet(catalog: AttributeCatalog, count: number, seed: number): OnboardingImage[] {
  if (!Number.isInteger(count) || count < 2) throw new PrefsInputError('count', 'an integer >= 2', count);
  const families = styleFamilies(catalog);
  if (!families.length) throw new PrefsInputError('catalog', 'a catalog with at least one exclusive style family', 0);
  const rng = seededRng(seed);
  let best: number[][] | undefined;
  let bestScore = Infinity;
  for (let r = 0; r < RESTARTS; r++) {
    const design = improve(families.map((values) => balancedColumn(values.length, count, rng)), families.map((v) => v.length));
    const s = imbalance(design, families.map((v) => v.length));
    if (s < bestScore) [best, bestScore] = [design, s];
  }
  const subject = catalog.subjects.at(-1) ?? 'picture';
  return Array.from({ length: count }, (_, i) => {
    const attributes = families.map((values, f) => values[best![f]![i]!]!);
    const before = attributes.filter((d) => d.placement === 'before-subject').map((d) => d.phrase);
    const after = attributes.filter((d) => d.placement === 'append').map((d) => d.phrase);
    return { prompt: `a ${[...before, subject].join(' ')}${after.join('')}`, attributes };
  });
}

/** Exclusive families and their values, in caption order; drawn (world) families if there are any. */
function styleFamilies(catalog: AttributeCatalog): AttributeDef[][] {
  const exclusive = catalog.attributes.filter((d) => d.exclusive);
  const world = exclusive.filter((d) => d.order < 100);
  const defs = world.length ? world : exclusive;
  const byFamily = new Map<string, AttributeDef[]>();
  for (const d of [...defs].sort((a, b) => a.order - b.order)) byFamily.set(d.family, [...(byFamily.get(d.family) ?? []), d]);
  return [...byFamily.values()].filter((values) => values.length >= 2);
}

/** Each of m values floor(n/m) or ceil(n/m) times (which get the extra one is drawn), shuffled. */
function balancedColumn(m: number, n: number, rng: Rng): number[] {
  const extra = new Set(shuffled([...Array(m).keys()], rng).slice(0, n % m));
  const column = [...Array(m).keys()].flatMap((v) => Array<number>(Math.floor(n / m) + (extra.has(v) ? 1 : 0)).fill(v));
  return shuffled(column, rng);
}

/**
 * How far the design is from orthogonal: for every two families, the squared gaps between how
 * often each pair of values meets and n / (m_f m_g); plus a heavy cost for two identical images.
 */
function imbalance(design: readonly (readonly number[])[], sizes: readonly number[]): number {
  const n = design[0]?.length ?? 0;
  let s = 0;
  for (let f = 0; f < design.length; f++) {
    for (let g = f + 1; g < design.length; g++) {
      const counts = new Float64Array(sizes[f]! * sizes[g]!);
      for (let i = 0; i < n; i++) counts[design[f]![i]! * sizes[g]! + design[g]![i]!]! += 1;
      const expected = n / (sizes[f]! * sizes[g]!);
      for (const c of counts) s += (c - expected) ** 2;
    }
  }
  const rows = new Set<string>();
  for (let i = 0; i < n; i++) {
    const key = design.map((c) => c[i]).join(',');
    if (rows.has(key)) s += 1000;
    rows.add(key);
  }
  return s;
}

/** Local search: swap two entries of one column (which keeps it balanced) while that lowers the imbalance. */
function improve(design: number[][], sizes: readonly number[]): number[][] {
  let score = imbalance(design, sizes);
  for (let improved = true; improved;) {
    improved = false;
    for (const column of design) {
      for (let i = 0; i < column.length; i++) {
        for (let j = i + 1; j < column.length; j++) {
          if (column[i] === column[j]) continue;
          [column[i], column[j]] = [column[j]!, column[i]!];
          const s = imbalance(design, sizes);
          if (s < score - 1e-9) [score, improved] = [s, true];
          else [column[i], column[j]] = [column[j]!, column[i]!];
        }
      }
    }
  }
  return design;
}
