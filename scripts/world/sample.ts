// Random scenes of the world, drawn from a seed.
import { pick, type Rng } from './prng.ts';
import { vocabulary, type Attributes } from './vocabulary.ts';

export function randomAttributes(rng: Rng): Attributes {
  const attrs: Record<string, string> = {};
  for (const name of vocabulary.caption_order) attrs[name] = pick(rng, vocabulary.families[name]!.values);
  return attrs;
}
