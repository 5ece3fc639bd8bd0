// Captions of scenes. Any phrase may be left out: the model must learn to fill in what a
// prompt leaves open, and that freedom is where personalization acts.
import { type Rng } from './prng.ts';
import { vocabulary, type Attributes } from './vocabulary.ts';

/** The caption naming exactly the families in `keep` (all of them by default). */
export function caption(attrs: Attributes, keep: ReadonlySet<string> = new Set(vocabulary.caption_order)): string {
  const words: string[] = ['a'];
  let tail = '';
  for (const name of vocabulary.caption_order) {
    const family = vocabulary.families[name]!;
    const kept = keep.has(name);
    const phrase = kept ? family.phrases[attrs[name]!] : family.fallback;
    if (phrase === undefined) continue;
    if (phrase.startsWith(',')) tail += phrase;
    else words.push(phrase);
  }
  return words.join(' ') + tail;
}

/** A caption with each family dropped independently with probability `drop`. */
export function randomCaption(attrs: Attributes, rng: Rng, drop = 0.4): string {
  const keep = new Set(vocabulary.caption_order.filter(() => rng() >= drop));
  return caption(attrs, keep);
}
