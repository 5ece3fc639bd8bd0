// The prompt rewriter: the user's strongest liked attributes that the prompt leaves open go
// into the prompt, disliked ones the prompt does not ask for go into the negative prompt,
// all within the text encoder's token budget. Optionally it borrows style phrases from the
// user's most similar past prompts (Tailored Visions: top 3). Everything it does is
// explained, so the job can store why its prompt differs from what the person typed.
import { normalizeText, type AttributeCatalog, type AttributeDef } from './attributes.ts';
import { PrefsInputError } from './errors.ts';
import type { Profile } from './history.ts';
import type { TokenCounter } from './ports.ts';
import { seededRng, shuffled } from './random.ts';

export interface RewriteOptions {
  readonly tokens: TokenCounter;
  /** Overrides the profile's strength; 0 leaves the prompt untouched. */
  readonly strength?: number;
  /** Ties and the order of appended terms are drawn from it (ViPer shuffles per prompt). */
  readonly seed?: number;
  /** Attributes added at full strength (scaled down with strength). */
  readonly maxAdded?: number;
  readonly maxNegative?: number;
  /** The person's own negative prompt; disliked attributes are added after it. */
  readonly negativePrompt?: string;
  /** The user's past prompts, to borrow style phrases from the 3 most similar. */
  readonly pastPrompts?: readonly string[];
}

export interface RewriteStep {
  readonly attribute: string;
  readonly weight: number;
  readonly reason: string;
}

export interface RewriteExplanation {
  readonly strength: number;
  readonly added: readonly RewriteStep[];
  readonly negative: readonly RewriteStep[];
  readonly skipped: readonly RewriteStep[];
  readonly summary: string;
}

export interface RewriteResult {
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly explanation: RewriteExplanation;
}

interface Candidate { keyword: string; def?: AttributeDef; weight: number; reason: string }

const STOPWORDS = new Set(['a', 'an', 'the', 'of', 'on', 'in', 'with', 'and', 'at', 'by', 'for', 'to', 'under', 'from']);
const words = (s: string) => new Set(normalizeText(s).split(/[^\p{L}\p{N}'-]+/u).filter((w) => w && !STOPWORDS.has(w)));

export function rewritePrompt(prompt: string, profile: Profile, catalog: AttributeCatalog, options: RewriteOptions): RewriteResult {
  if (typeof prompt !== 'string') throw new PrefsInputError('prompt', 'a string', prompt);
  const strength = options.strength ?? profile.strength;
  if (!(strength >= 0 && strength <= 1)) throw new PrefsInputError('strength', 'a number in 0..1', strength);
  const ownNegative = options.negativePrompt ?? '';
  if (strength === 0) {
    return { prompt, negativePrompt: ownNegative, explanation: { strength, added: [], negative: [], skipped: [], summary: 'personalization is off (strength 0): the prompt is as typed' } };
  }
  const { tokens } = options;
  const rng = seededRng(options.seed ?? 0);
  const stated = catalog.mentioned(prompt);
  const namedIn = (t: string, c: Candidate) => (c.def ? catalog.mentioned(t).includes(c.def) : catalog.names(t, c.keyword));
  const named = (c: Candidate) => namedIn(prompt, c);
  const skipped: RewriteStep[] = [];
  const skip = (c: Candidate, reason: string) => skipped.push({ attribute: c.keyword, weight: c.weight, reason });

  // 1. Candidates: liked attributes, then style phrases of the most similar past prompts.
  const disliked = new Set(profile.disliked.map((d) => catalog.canonical(d.attribute)));
  const byKey = new Map<string, Candidate>();
  for (const l of profile.liked) {
    const keyword = catalog.canonical(l.attribute);
    if (keyword && l.weight > 0 && !byKey.has(keyword)) byKey.set(keyword, { keyword, def: catalog.lookup(keyword), weight: l.weight, reason: `liked (weight ${l.weight.toFixed(2)})` });
  }
  const promptWords = words(prompt);
  const similar = (options.pastPrompts ?? [])
    .map((p) => { const w = words(p); const inter = [...w].filter((x) => promptWords.has(x)).length; return { p, sim: inter / (w.size + promptWords.size - inter || 1) }; })
    .filter((s) => s.sim > 0 && s.p !== prompt)
    .sort((a, b) => b.sim - a.sim)
    .slice(0, 3);
  for (const { p, sim } of similar) {
    for (const def of catalog.mentioned(p)) {
      if (disliked.has(def.text)) continue;
      const prev = byKey.get(def.text);
      const weight = (prev?.weight ?? 0) + 0.5 * sim;
      byKey.set(def.text, { keyword: def.text, def, weight, reason: prev ? `${prev.reason}; also in a similar past prompt` : `in a similar past prompt: "${p.slice(0, 60)}"` });
    }
  }

  // 2. Strongest first, ties in seeded order; keep what fits the prompt and the budget.
  const ranked = shuffled([...byKey.values()], rng).sort((a, b) => b.weight - a.weight);
  const limit = Math.max(1, Math.round(strength * (options.maxAdded ?? 4)));
  const added: Candidate[] = [];
  let text = prompt;
  if (tokens.count(prompt) > tokens.budget) skipped.push({ attribute: '*', weight: 0, reason: `the prompt already needs ${tokens.count(prompt)} of ${tokens.budget} tokens` });
  else {
    for (const c of ranked) {
      if (added.length >= limit) break;
      if (named(c)) { skip(c, 'already in the prompt'); continue; }
      if (ownNegative && namedIn(ownNegative, c)) { skip(c, 'the negative prompt asks to avoid it'); continue; }
      const clash = c.def && (catalog.conflictWith(c.def, stated) ?? catalog.conflictWith(c.def, added.flatMap((a) => (a.def ? [a.def] : []))));
      if (clash) { skip(c, `conflicts with "${clash.text}"${stated.includes(clash) ? ' in the prompt' : ', added first'}`); continue; }
      const next = compose(prompt, [...added, c], catalog, options.seed ?? 0);
      if (tokens.count(next) > tokens.budget) { skip(c, `would exceed the ${tokens.budget}-token budget`); continue; }
      added.push(c);
      text = next;
    }
  }

  // 3. Negative prompt: disliked attributes the prompt does not ask for. The world's values
  // are written as one caption, the way the text encoder was trained ("a green outlined
  // shape, on a white background"), so at most one value of each world family; a bare list
  // of words is out of distribution and costs prompt faithfulness. Other terms are listed.
  const negative: Candidate[] = [];
  let negativePrompt = ownNegative;
  const negLimit = options.maxNegative === 0 ? 0 : Math.max(1, Math.round(strength * (options.maxNegative ?? 6)));
  const worldValue = (c: Candidate) => !!(c.def && c.def.order < 100 && catalog.subjects.length);
  const writeNegative = (list: readonly Candidate[]) => [ownNegative, captionOf(list.filter(worldValue), catalog), ...list.filter((c) => !worldValue(c)).map((c) => c.keyword)].filter(Boolean).join(', ');
  for (const d of [...profile.disliked].sort((a, b) => b.weight - a.weight)) {
    const keyword = catalog.canonical(d.attribute);
    if (!keyword || d.weight <= 0 || (negLimit > 0 && negative.length >= negLimit) || negative.some((n) => n.keyword === keyword)) continue;
    const c: Candidate = { keyword, def: catalog.lookup(keyword), weight: d.weight, reason: `disliked (weight ${d.weight.toFixed(2)})` };
    if (negLimit === 0) { skip(c, 'disliked: this model takes dislikes through the rerank, not the negative prompt'); continue; }
    if (named(c)) { skip(c, 'disliked, but the prompt asks for it'); continue; }
    if (namedIn(text, c)) { skip(c, 'disliked, but the rewrite added it (it is also liked or borrowed)'); continue; }
    if (normalizeText(ownNegative).split(/\s*,\s*/).includes(keyword)) continue;
    if (worldValue(c) && negative.some((n) => worldValue(n) && n.def!.family === c.def!.family)) { skip(c, `disliked, but "${negative.find((n) => n.def?.family === c.def!.family)!.keyword}" of the same family is stronger (one per family in the caption)`); continue; }
    const next = writeNegative([...negative, c]);
    if (tokens.count(next) > tokens.budget) { skip(c, `negative prompt would exceed the ${tokens.budget}-token budget`); continue; }
    negative.push(c);
    negativePrompt = next;
  }

  const step = (c: Candidate): RewriteStep => ({ attribute: c.keyword, weight: c.weight, reason: c.reason });
  const summary = [
    added.length ? `added ${added.map((a) => `"${a.keyword}"`).join(', ')}` : 'added nothing',
    negative.length ? `avoided ${negative.map((a) => `"${a.keyword}"`).join(', ')}` : '',
    `strength ${strength}`,
  ].filter(Boolean).join('; ');
  return { prompt: text, negativePrompt, explanation: { strength, added: added.map(step), negative: negative.map(step), skipped, summary } };
}

/** Attributes written as one caption around the world's generic subject ("a red striped shape, on a teal background"). */
function captionOf(list: readonly Candidate[], catalog: AttributeCatalog): string {
  if (!list.length) return '';
  return compose(`a ${catalog.subjects.at(-1) ?? 'picture'}`, list, catalog, 0);
}

/** Attribute texts as one caption-shaped condition, at most one value of each world family (strongest first). */
export function attributeCaption(keywords: readonly string[], catalog: AttributeCatalog): string {
  const seen = new Set<string>();
  const list: Candidate[] = [];
  for (const keyword of keywords) {
    const def = catalog.lookup(keyword);
    if (def && def.order < 100) {
      if (seen.has(def.family)) continue;
      seen.add(def.family);
    }
    list.push({ keyword, def, weight: 1, reason: '' });
  }
  return catalog.subjects.length ? captionOf(list, catalog) : list.map((c) => c.keyword).join(', ');
}

/**
 * The prompt with attributes written in: words that go before the subject join the
 * adjectives in front of its noun, in the family order the model was trained on ("a red
 * striped circle"); world tails go before any tail of a later family (", on a teal
 * background, lit from above"); other terms are appended, in seeded order.
 */
function compose(prompt: string, adds: readonly Candidate[], catalog: AttributeCatalog, seed: number): string {
  let text = prompt.trimEnd();
  const before = adds.filter((a) => a.def?.placement === 'before-subject');
  const subject = catalog.subjects.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${catalog.subjects.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?![\\p{L}\\p{N}])`, 'iu').exec(text) : null;
  const tails = adds.filter((a) => !before.includes(a) || !subject);
  if (subject && before.length) {
    // Walk back over the adjectives already in front of the noun, then sort old and new together.
    const head = text.slice(0, subject.index).trimEnd().split(' ');
    const adjectives: { word: string; order: number }[] = [];
    while (head.length) {
      const def = catalog.lookup(head[head.length - 1]!);
      if (!def || def.placement !== 'before-subject') break;
      adjectives.unshift({ word: head.pop()!, order: def.order });
    }
    for (const a of before) adjectives.push({ word: a.def!.phrase, order: a.def!.order });
    adjectives.sort((x, y) => x.order - y.order);
    text = [...head, ...adjectives.map((a) => a.word)].filter(Boolean).join(' ') + ' ' + text.slice(subject.index);
  }
  const world = tails.filter((a) => a.def && a.def.order < 100 && a.def.placement === 'append').sort((x, y) => x.def!.order - y.def!.order);
  const rest = shuffled(tails.filter((a) => !world.includes(a)), seededRng(seed ^ 0x9e3779b9));
  for (const a of world) {
    const lower = text.toLowerCase();
    const later = catalog.attributes
      .filter((d) => d.placement === 'append' && d.order < 100 && d.order > a.def!.order)
      .map((d) => lower.indexOf(d.phrase.toLowerCase()))
      .filter((i) => i >= 0);
    const at = later.length ? Math.min(...later) : text.length;
    text = text.slice(0, at) + a.def!.phrase + text.slice(at);
  }
  for (const a of rest) text += a.def ? (a.def.phrase.startsWith(',') ? a.def.phrase : `, ${a.def.phrase}`) : `, ${a.keyword}`;
  return text.replace(/^\s*,\s*/, '');
}
