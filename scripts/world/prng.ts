// A tiny seeded generator (mulberry32): the world must render the same scene for the same
// seed on every machine, so nothing here touches Math.random.
import type { Rng } from '../../prefs/random.ts';

export { seededRng as mulberry32, type Rng } from '../../prefs/random.ts';

export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
