// ViPer's conditioning: the liked attributes encoded like a prompt and pulled toward, the
// disliked ones encoded like a negative prompt and pushed away from:
//   eps = eps_uncond + g * (eps_text + b_pos*eps_liked - eps_uncond - b_neg*eps_disliked)
// with b_pos = b_neg = 0.85 (REFERENCE.md). The runtime's `extraGuidance` takes exactly
// that as terms {condition, weight}: +b_pos * strength for the liked text, -b_neg * strength
// for the disliked one. Attributes that contradict or repeat the prompt are left out, and
// both lists are shuffled per seed, as ViPer shuffles them for every prompt.
import type { AttributeCatalog } from './attributes.ts';
import { PrefsInputError } from './errors.ts';
import type { Profile, WeightedAttribute } from './history.ts';
import type { TokenCounter } from './ports.ts';
import { attributeCaption } from './rewrite.ts';
import { seededRng, shuffled } from './random.ts';

/** Structurally the runtime's ExtraGuidance (pipeline/diffusion/text-to-image.ts). */
export interface GuidanceTerm {
  readonly condition: { readonly text: string };
  readonly weight: number;
}

export const VIPER_B_POS = 0.85;
export const VIPER_B_NEG = 0.85;

export interface ConditioningOptions {
  readonly strength?: number;
  readonly prompt?: string;
  readonly seed?: number;
  readonly maxTerms?: number;
  readonly bPos?: number;
  readonly bNeg?: number;
  /** Keeps each condition text within the text encoder's budget. */
  readonly tokens?: TokenCounter;
}

export function preferenceGuidance(profile: Profile, catalog: AttributeCatalog, options: ConditioningOptions = {}): GuidanceTerm[] {
  const strength = options.strength ?? profile.strength;
  if (!(strength >= 0 && strength <= 1)) throw new PrefsInputError('strength', 'a number in 0..1', strength);
  if (strength === 0) return [];
  const rng = seededRng(options.seed ?? 0);
  const stated = options.prompt ? catalog.mentioned(options.prompt) : [];
  const max = options.maxTerms ?? 8;
  const pick = (list: readonly WeightedAttribute[], keepIf: (text: string) => boolean) => {
    const texts: string[] = [];
    for (const a of [...list].sort((x, y) => y.weight - x.weight)) {
      const k = catalog.canonical(a.attribute);
      if (k && a.weight > 0 && !texts.includes(k) && keepIf(k) && texts.length < max) texts.push(k);
    }
    return catalog.subjects.length ? texts : shuffled(texts, rng);
  };
  // Liked: not already named and not contradicting the prompt. Disliked: not asked for by the prompt.
  const liked = pick(profile.liked, (k) => { const d = catalog.lookup(k); return !(d && (stated.includes(d) || catalog.conflictWith(d, stated))) && !(options.prompt && !d && catalog.names(options.prompt, k)); });
  const disliked = pick(profile.disliked, (k) => !(options.prompt && catalog.names(options.prompt, k)));
  // Written as one caption (one value per world family, strongest first), as the text
  // encoder was trained; dropped from the end until it fits the budget.
  const fit = (texts: string[]) => {
    const t = options.tokens;
    const strongestFirst = [...texts];
    while (t && strongestFirst.length && t.count(attributeCaption(strongestFirst, catalog)) > t.budget) strongestFirst.pop();
    return attributeCaption(strongestFirst, catalog);
  };
  const terms: GuidanceTerm[] = [];
  const likedText = fit(liked);
  const dislikedText = fit(disliked);
  if (likedText && (options.bPos ?? VIPER_B_POS) > 0) terms.push({ condition: { text: likedText }, weight: (options.bPos ?? VIPER_B_POS) * strength });
  if (dislikedText && (options.bNeg ?? VIPER_B_NEG) > 0) terms.push({ condition: { text: dislikedText }, weight: -(options.bNeg ?? VIPER_B_NEG) * strength });
  return terms;
}
