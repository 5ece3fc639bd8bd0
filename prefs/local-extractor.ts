// ViPer's keyword extraction without a language model: find the catalog's attributes in a
// comment and read each one's sign and strength from the cue words of its clause
// ("love the red", "not a fan of the stripes", "too busy", "less saturated").
// Keywords that land in both lists are dropped, as ViPer does.
import { normalizeText, type AttributeCatalog } from './attributes.ts';
import type { AttributeExtractor, Extraction } from './ports.ts';
import { PrefsInputError } from './errors.ts';

/** Longer comments are cut here (at a word boundary): nobody's taste needs more, and the scan stays cheap. */
export const MAX_COMMENT_CHARS = 4000;

type Cue = { kind: 'sign'; sign: 1 | -1 | 0; strength: number } | { kind: 'negator' } | { kind: 'intensifier'; factor: number };

const sign = (s: 1 | -1 | 0, strength: number): Cue => ({ kind: 'sign', sign: s, strength });
const CUES: Record<string, Cue> = {};
const add = (words: string[], cue: Cue) => words.forEach((w) => (CUES[w] = cue));
add(['adore', 'adored', 'love', 'loved', 'loves', 'favorite', 'favourite', 'perfect', 'big fan of', 'obsessed with'], sign(1, 1.5));
add(['gorgeous', 'stunning', 'amazing', 'awesome', 'wonderful', 'fantastic'], sign(1, 1.3));
add(['like', 'liked', 'likes', 'enjoy', 'enjoyed', 'prefer', 'fan of', 'beautiful', 'great', 'lovely', 'pleasing', 'appealing', 'care for', 'want', 'keep'], sign(1, 1));
add(['nice', 'pretty', 'good', 'cool'], sign(1, 0.8));
add(['more'], sign(1, 0.7));
add(['hate', 'hated', 'hates', 'awful', 'terrible', 'horrible', "can't stand", 'cannot stand', 'way too'], sign(-1, 1.5));
add(['too', 'too much', 'ugly', 'garish', 'get rid of'], sign(-1, 1.3));
add(['dislike', 'disliked', 'not a fan of', 'not a big fan of', 'not fond of', 'tired of', 'sick of', 'boring', 'bland', 'annoying', 'distracting', 'overwhelming', 'overdone', 'avoid', 'no more', 'without', 'bad'], sign(-1, 1));
add(['less', 'fewer', 'meh'], sign(-1, 0.7));
add(['no', "don't", 'do not', "doesn't", 'does not', "didn't", 'did not', 'not', 'never', "isn't", "wasn't", "aren't", "won't", 'hardly'], { kind: 'negator' });
add(['really', 'very', 'so', 'truly', 'totally', 'super'], { kind: 'intensifier', factor: 1.3 });
add(['absolutely', 'extremely', 'incredibly'], { kind: 'intensifier', factor: 1.5 });
add(['a bit', 'a little', 'slightly', 'somewhat', 'kind of', 'kinda', 'a tad'], { kind: 'intensifier', factor: 0.6 });
// "looks like", "more or less": a cue word that says nothing about taste.
add(['looks like', 'look like', 'looked like', 'feels like', 'feel like', 'seems like', 'sounds like', 'more or less', 'more than', 'no matter'], sign(0, 0));

const CUE_PATTERN = new RegExp(
  `(?<![\\p{L}\\p{N}'])(?:${Object.keys(CUES).sort((a, b) => b.length - a.length).map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?![\\p{L}\\p{N}'])`,
  'gu',
);
/** Clause breaks. Additive ones ("and", ",") let a clause without cues inherit the previous sign; contrastive ones do not. */
const BREAK_PATTERN = /,|\b(?:and|or|but|yet|though|although|however|whereas|while|except)\b/gu;
const CONTRASTIVE = new Set(['but', 'yet', 'though', 'although', 'however', 'whereas', 'while', 'except']);

interface Span { start: number; end: number }
const inside = (pos: number, spans: readonly Span[]) => spans.some((s) => pos >= s.start && pos < s.end);

export class LocalAttributeExtractor implements AttributeExtractor {
  constructor(private readonly catalog: AttributeCatalog) {}

  async extract(text: string): Promise<Extraction> {
    return this.extractSync(text);
  }

  extractSync(text: string): Extraction {
    if (typeof text !== 'string') throw new PrefsInputError('comment', 'a string', typeof text);
    let clean = normalizeText(text.length > 2 * MAX_COMMENT_CHARS ? text.slice(0, 2 * MAX_COMMENT_CHARS) : text);
    if (clean.length > MAX_COMMENT_CHARS) clean = clean.slice(0, clean.lastIndexOf(' ', MAX_COMMENT_CHARS) + 1 || MAX_COMMENT_CHARS);
    const pos = new Map<string, number>();
    const neg = new Map<string, number>();
    for (const m of clean.matchAll(/([^.!?;\n]+)([.!?;\n]*)/g)) {
      // "!" adds emphasis to its sentence.
      const emphasis = m[2]!.includes('!') ? 1.2 : 1;
      for (const [k, s] of this.readSentence(m[1]!)) {
        const into = s > 0 ? pos : neg;
        into.set(k, (into.get(k) ?? 0) + Math.abs(s) * emphasis);
      }
    }
    const weights: Record<string, number> = {};
    // ViPer: a keyword said both ways is dropped from both lists.
    const list = (own: Map<string, number>, other: Map<string, number>) => [...own]
      .filter(([k]) => !other.has(k))
      .sort((a, b) => b[1] - a[1])
      .map(([k, s]) => ((weights[k] = Math.round(1000 * Math.min(2, Math.max(0.25, s))) / 1000), k));
    return { liked: list(pos, neg), disliked: list(neg, pos), weights };
  }

  /** Signed strength of each keyword mention in one sentence. */
  private readSentence(sentence: string): [string, number][] {
    const signs: [string, number][] = [];
    const mentions = this.catalog.findMentions(sentence);
    if (mentions.length === 0) return signs;
    const cues = [...sentence.matchAll(CUE_PATTERN)].filter((m) => !inside(m.index, mentions)).map((m) => ({ at: m.index, cue: CUES[m[0]]! }));
    const breaks = [...sentence.matchAll(BREAK_PATTERN)].filter((m) => !inside(m.index, mentions)).map((m) => ({ at: m.index, contrastive: CONTRASTIVE.has(m[0]) }));
    const bounds = [{ at: -1, contrastive: true }, ...breaks, { at: sentence.length + 1, contrastive: true }];
    let carried: { sign: number; strength: number } | null = null;
    for (let c = 0; c + 1 < bounds.length; c++) {
      const from = bounds[c]!.at, to = bounds[c + 1]!.at;
      const own = clauseSign(cues.filter((q) => q.at > from && q.at < to).map((q) => q.cue));
      const verdict: { sign: number; strength: number } | null = own ?? (bounds[c]!.contrastive ? null : carried);
      carried = verdict;
      if (!verdict || verdict.sign === 0) continue;
      for (const m of mentions) {
        if (m.start <= from || m.start >= to) continue;
        signs.push([m.def.text, verdict.sign * verdict.strength]);
      }
    }
    return signs;
  }
}

/**
 * The sign a clause's cues give, or null when it has none. A negator flips the next sign
 * cue ("don't like"); a negated negative ("not too busy") says what the person does not
 * mind, not what they like, so it yields no signal. Intensifiers scale the next sign cue.
 */
function clauseSign(cues: readonly Cue[]): { sign: number; strength: number } | null {
  let result: { sign: number; strength: number } | null = null;
  let negated = false;
  let factor = 1;
  for (const cue of cues) {
    if (cue.kind === 'negator') negated = !negated;
    else if (cue.kind === 'intensifier') factor *= cue.factor;
    else {
      if (cue.sign !== 0) result = negated ? (cue.sign < 0 ? { sign: 0, strength: 0 } : { sign: -1, strength: cue.strength * factor }) : { sign: cue.sign, strength: cue.strength * factor };
      else if (!result) result = { sign: 0, strength: 0 };
      negated = false;
      factor = 1;
    }
  }
  // A dangling negator ("not the stripes") negates the clause's attribute itself.
  if (negated && (!result || result.sign === 0)) result = { sign: -1, strength: 1 };
  return result;
}
