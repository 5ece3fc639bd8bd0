// Win rates and their 95% intervals. A comparison scores 1 (win), 1/2 (tie) or 0 (loss).
// Comparisons of one user are not independent (one profile made them all), so the interval
// is a percentile bootstrap over users: whole users are resampled, not single comparisons.
// Wilson's interval (comparisons taken as independent) is given beside it for reference.
import { mulberry32 } from '../world/prng.ts';

/** 1 if the personalized image's hidden utility is higher, 0 if lower, 1/2 for a tie. */
export function outcome(personalized: number, base: number, tolerance = 1e-9): number {
  return Math.abs(personalized - base) <= tolerance ? 0.5 : personalized > base ? 1 : 0;
}

export interface WinRate {
  /** Mean score over all comparisons. */
  readonly rate: number;
  /** 95% percentile bootstrap over users. */
  readonly ci: [number, number];
  /** 95% Wilson score interval, comparisons taken as independent. */
  readonly wilson: [number, number];
  readonly comparisons: number;
  readonly users: number;
  readonly ties: number;
}

export function wilson(successes: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const denom = 1 + (z * z) / n;
  const center = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

/** Win rate of scores grouped by user (each inner list: one user's comparisons). */
export function winRate(byUser: readonly (readonly number[])[], options: { reps?: number; seed?: number } = {}): WinRate {
  const users = byUser.filter((s) => s.length > 0);
  const all = users.flat();
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const rate = all.length ? sum(all) / all.length : NaN;
  const reps = options.reps ?? 2000;
  const r = mulberry32(options.seed ?? 7);
  const stats: number[] = [];
  for (let i = 0; i < reps && users.length; i++) {
    let wins = 0, n = 0;
    for (let j = 0; j < users.length; j++) {
      const u = users[Math.floor(r() * users.length)]!;
      wins += sum(u);
      n += u.length;
    }
    stats.push(wins / n);
  }
  stats.sort((a, b) => a - b);
  const q = (p: number) => stats[Math.min(stats.length - 1, Math.max(0, Math.round(p * (stats.length - 1))))]!;
  return {
    rate,
    ci: stats.length ? [q(0.025), q(0.975)] : [0, 1],
    wilson: wilson(sum(all), all.length),
    comparisons: all.length,
    users: users.length,
    ties: all.filter((s) => s === 0.5).length,
  };
}
