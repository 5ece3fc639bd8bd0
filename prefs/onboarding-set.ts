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
  const sizes = families.map((values) => values.length);
  let best: number[][] | undefined;
  let bestScore = Infinity;
  for (let r = 0; r < RESTARTS; r++) {
    const design = improve(sizes.map((m) => balancedColumn(m, count, rng)), sizes);
    const s = imbalance(design, sizes);
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

/**
 * Local search: swap two entries of one column (which keeps it balanced) while that lowers the
 * imbalance. A swap's change is computed from the cells it moves (O(families) a swap, not a
 * whole recount): 64 images of the art catalog take milliseconds, not the minute a recount took.
 */
function improve(design: number[][], sizes: readonly number[]): number[][] {
  const families = design.length;
  const n = design[0]?.length ?? 0;
  // Pair tables, f < g: how often value a of f meets value b of g, and the count a balanced design has.
  const counts: Float64Array[][] = [];
  const expected: number[][] = [];
  for (let f = 0; f < families; f++) {
    counts.push([]);
    expected.push([]);
    for (let g = 0; g < families; g++) {
      counts[f]!.push(new Float64Array(f < g ? sizes[f]! * sizes[g]! : 0));
      expected[f]!.push(f < g ? n / (sizes[f]! * sizes[g]!) : 0);
    }
  }
  /** Where the count of value v of f meeting value w of g is kept. */
  const table = (f: number, g: number) => (f < g ? counts[f]![g]! : counts[g]![f]!);
  const at = (f: number, v: number, g: number, w: number) => (f < g ? v * sizes[g]! + w : w * sizes[f]! + v);
  const gap = (f: number, v: number, g: number, w: number) => table(f, g)[at(f, v, g, w)]! - (f < g ? expected[f]![g]! : expected[g]![f]!);
  const bump = (f: number, v: number, g: number, w: number, by: number) => void (table(f, g)[at(f, v, g, w)]! += by);
  for (let f = 0; f < families; f++) for (let g = f + 1; g < families; g++) for (let r = 0; r < n; r++) counts[f]![g]![design[f]![r]! * sizes[g]! + design[g]![r]!]! += 1;
  // Each row as one number (mixed radix over the families' sizes), to tell identical images apart.
  const radix = sizes.map((_, f) => sizes.slice(0, f).reduce((p, m) => p * m, 1));
  const code = Array.from({ length: n }, (_, r) => design.reduce((sum, column, f) => sum + column[r]! * radix[f]!, 0));
  const rows = new Map<number, number>();
  for (const k of code) rows.set(k, (rows.get(k) ?? 0) + 1);
  /**
   * The change in imbalance if rows i and j swapped their values of family f (a at i, b at j):
   * per other family g (x at i, y at j), cells (a, x) and (b, y) lose one, (b, x) and (a, y)
   * gain one, and a cell's squared gap (k - e)^2 moves by 2 d (k - e) + 1.
   */
  const delta = (f: number, i: number, j: number): number => {
    const a = design[f]![i]!, b = design[f]![j]!;
    let d = 0;
    for (let g = 0; g < families; g++) {
      const x = design[g]![i]!, y = design[g]![j]!;
      if (g === f || x === y) continue;
      d += 2 * (gap(f, b, g, x) + gap(f, a, g, y) - gap(f, a, g, x) - gap(f, b, g, y)) + 4;
    }
    // Two identical images cost 1000 each beyond the first; most swaps touch no duplicate.
    const shift = (b - a) * radix[f]!;
    const before = [code[i]!, code[j]!], after = [code[i]! + shift, code[j]! - shift];
    if (before.every((k) => rows.get(k) === 1) && after.every((k) => !rows.get(k))) return d;
    const moved = new Map<number, number>();
    const count = (k: number) => moved.get(k) ?? rows.get(k) ?? 0;
    let extra = 0;
    for (const k of before) {
      if (count(k) > 1) extra--;
      moved.set(k, count(k) - 1);
    }
    for (const k of after) {
      if (count(k) > 0) extra++;
      moved.set(k, count(k) + 1);
    }
    return d + 1000 * extra;
  };
  const swap = (f: number, i: number, j: number) => {
    const a = design[f]![i]!, b = design[f]![j]!;
    for (let g = 0; g < families; g++) {
      const x = design[g]![i]!, y = design[g]![j]!;
      if (g === f || x === y) continue;
      bump(f, a, g, x, -1);
      bump(f, b, g, y, -1);
      bump(f, b, g, x, 1);
      bump(f, a, g, y, 1);
    }
    const shift = (b - a) * radix[f]!;
    for (const [r, k] of [[i, code[i]! + shift], [j, code[j]! - shift]] as const) {
      rows.set(code[r]!, rows.get(code[r]!)! - 1);
      rows.set(k, (rows.get(k) ?? 0) + 1);
      code[r] = k;
    }
    [design[f]![i], design[f]![j]] = [b, a];
  };
  for (let improved = true; improved;) {
    improved = false;
    for (let f = 0; f < families; f++) {
      const column = design[f]!;
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          if (column[i] === column[j] || delta(f, i, j) >= -1e-9) continue;
          swap(f, i, j);
          improved = true;
        }
      }
    }
  }
  return design;
}
