// Simulated users with hidden tastes over the world's style values, shared by the benchmarks
// (bench:prefs, bench:personalization). A user's taste is u = F c / sqrt(K) + s e over the 18
// style values: K taste factors F shared by the whole population, c and e drawn per user, s
// the idiosyncrasy (each value's taste has a standard deviation of about 1). Some users also
// hold one strong dislike: one value pushed down by a further `penalty` (3 by default). The utility of an image is the sum of its values' tastes;
// a judgement is that utility plus Gumbel noise of scale `temperature`, so a choice between a
// and b picks a with probability sigmoid((u_a - u_b) / temperature) (Bradley-Terry).
import type { Rng } from '../world/prng.ts';
import { vocabulary, type Attributes } from '../world/vocabulary.ts';

/** "family:value" of every style value, in vocabulary order. */
export const STYLE = Object.entries(vocabulary.families).filter(([, f]) => f.kind === 'style').flatMap(([name, f]) => f.values.map((v) => `${name}:${v}`));

export const gauss = (r: Rng) => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const gumbel = (r: Rng) => -Math.log(-Math.log(Math.min(Math.max(r(), 1e-12), 1 - 1e-12)));

export interface SimulatedUser {
  readonly index: number;
  /** Hidden taste of each style value, "family:value" -> utility. */
  readonly taste: Readonly<Record<string, number>>;
  /** The value disliked strongly, if any ("family:value"). */
  readonly strongDislike?: string;
  /** Hidden utility of an image: the sum of its style values' tastes (content is ignored). */
  utility(attrs: Attributes): number;
}

export interface UserOptions {
  /** Share of users with one strong dislike; 0 draws nothing extra from the generator. */
  readonly dislikeShare?: number;
  /** How far a strong dislike is pushed down, against a taste scale of about 1. */
  readonly dislikePenalty?: number;
}

/** K taste factors over the style values, shared by a population. */
export function tasteFactors(count: number, r: Rng): number[][] {
  return Array.from({ length: count }, () => STYLE.map(() => gauss(r)));
}

export function makeUsers(count: number, factors: readonly number[][], idiosyncrasy: number, r: Rng, options: UserOptions = {}): SimulatedUser[] {
  const share = options.dislikeShare ?? 0;
  const penalty = options.dislikePenalty ?? 3;
  return Array.from({ length: count }, (_, index) => {
    const c = factors.map(() => gauss(r));
    const pref = STYLE.map((_, v) => factors.reduce((s, f, k) => s + (f[v]! * c[k]!) / Math.sqrt(factors.length), 0) + idiosyncrasy * gauss(r));
    let strongDislike: string | undefined;
    if (share > 0 && r() < share) {
      const v = Math.floor(r() * STYLE.length);
      pref[v]! -= penalty;
      strongDislike = STYLE[v];
    }
    const taste = Object.fromEntries(STYLE.map((key, v) => [key, pref[v]!]));
    const utility = (a: Attributes) => STYLE.reduce((s, key, v) => (a[key.slice(0, key.indexOf(':'))] === key.slice(key.indexOf(':') + 1) ? s + pref[v]! : s), 0);
    return { index, taste, strongDislike, utility };
  });
}

/** One noisy judgement of an image: hidden utility plus Gumbel noise of scale `temperature`. */
export function perceive(user: SimulatedUser, attrs: Attributes, temperature: number, r: Rng): number {
  return user.utility(attrs) + temperature * gumbel(r);
}

/** Whether the user picks a over b, judging each with its own noise. */
export function prefersFirst(user: SimulatedUser, a: Attributes, b: Attributes, temperature: number, r: Rng): boolean {
  return perceive(user, a, temperature, r) > perceive(user, b, temperature, r);
}
