// The attribute vocabulary: the world's style phrases (from the model pack's vocabulary
// JSON, passed in) plus general art terms for real models. It answers three questions for
// the extractor, the profile and the rewriter: which attributes a text mentions, how an
// attribute is written into a prompt, and which attributes contradict each other (values
// of one exclusive family: a prompt saying "red" gets no "blue").
import { ART_FAMILIES } from './art-terms.ts';

/** The part of scripts/world/vocabulary.json this code reads. */
export interface WorldVocabularyLike {
  readonly caption_order?: readonly string[];
  readonly families: Readonly<Record<string, {
    readonly kind: 'content' | 'style';
    readonly values: readonly string[];
    readonly phrases: Readonly<Record<string, string>>;
    readonly fallback?: string;
  }>>;
}

export interface AttributeDef {
  /** family:value, e.g. "background:teal". */
  readonly id: string;
  readonly family: string;
  readonly value: string;
  /** Canonical text, shown to people and stored in profiles: "teal background". */
  readonly text: string;
  /** As written into a prompt: "red" before the subject, or ", on a teal background" after it. */
  readonly phrase: string;
  readonly placement: 'before-subject' | 'append';
  readonly exclusive: boolean;
  /** Family rank, for canonical word order (the world's caption order). */
  readonly order: number;
  readonly aliases: readonly string[];
}

export interface Mention {
  readonly def: AttributeDef;
  readonly start: number;
  readonly end: number;
}

export const MAX_ATTRIBUTE_CHARS = 60;
const MAX_ATTRIBUTE_WORDS = 8;

/** Lowercase, plain apostrophes, single spaces: the form every lookup works on. */
export function normalizeText(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A keyword fit to store in a profile, or null for empty, absurdly long or letterless strings. */
export function normalizeAttribute(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > 10 * MAX_ATTRIBUTE_CHARS) return null;
  const s = normalizeText(raw).replace(/^[\s,.;:!?"'*()[\]{}_#-]+|[\s,.;:!?"'*()[\]{}_#-]+$/g, '');
  if (!s || s.length > MAX_ATTRIBUTE_CHARS || s.split(' ').length > MAX_ATTRIBUTE_WORDS || !/\p{L}/u.test(s)) return null;
  return s;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** ", on a teal background" -> "teal background"; "in even light" -> "even light". */
const stripPhrase = (p: string) => normalizeText(p).replace(/^[,\s]+/, '').replace(/^(on|in|under|with|at)\s+(a|an|the)\s+|^(on|in|under|with|at)\s+/, '');

/** Keywords whose canonical form a catalog remembers. */
const CANONICALS_KEPT = 4096;

export class AttributeCatalog {
  private readonly byAlias = new Map<string, AttributeDef>();
  private readonly canonicals = new Map<string, string | null>();
  private readonly pattern: RegExp | null;

  private constructor(
    readonly attributes: readonly AttributeDef[],
    /** Nouns of the content families (the world's shapes): where before-subject words go. */
    readonly subjects: readonly string[],
  ) {
    for (const def of attributes) for (const a of def.aliases) if (!this.byAlias.has(a)) this.byAlias.set(a, def);
    const aliases = [...this.byAlias.keys()].sort((a, b) => b.length - a.length);
    // One alternation, longest alias first, so "golden hour" wins over "gold" at the same place.
    this.pattern = aliases.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${aliases.map(escape).join('|')})(?![\\p{L}\\p{N}])`, 'gu') : null;
  }

  /** The world's style families (when given) and, unless switched off, the general art terms. */
  static create(options: { world?: WorldVocabularyLike; generalTerms?: boolean } = {}): AttributeCatalog {
    const defs: AttributeDef[] = [];
    const taken = new Set<string>();
    const subjects: string[] = [];
    const add = (def: Omit<AttributeDef, 'aliases'>, aliases: string[]) => {
      const own = [...new Set([def.text, ...aliases].map(normalizeText))].filter((a) => a && !taken.has(a));
      if (!own.includes(def.text)) return; // another family already owns this word
      own.forEach((a) => taken.add(a));
      defs.push({ ...def, aliases: own });
    };
    const world = options.world;
    const order = world?.caption_order ?? Object.keys(world?.families ?? {});
    const exclusiveWorld = new Set<string>();
    for (const [name, family] of Object.entries(world?.families ?? {})) {
      if (family.kind === 'content') {
        subjects.push(...family.values.map((v) => normalizeText(family.phrases[v] ?? v)));
        if (family.fallback) subjects.push(normalizeText(family.fallback));
        continue;
      }
      exclusiveWorld.add(name);
      for (const value of family.values) {
        const phrase = family.phrases[value] ?? value;
        const text = stripPhrase(phrase);
        const placement = phrase.trimStart().startsWith(',') ? 'append' : 'before-subject';
        const aliases = [normalizeText(phrase).replace(/^,\s*/, ''), `${value} ${name}`, `${value} ${name.replace(/ing$/, '')}`];
        // A bare value is a safe alias before the subject ("striped") or in "<value> <family>" phrases ("teal").
        if (placement === 'before-subject' || text === `${value} ${name}`) aliases.push(value);
        add({ id: `${name}:${value}`, family: name, value, text, phrase, placement, exclusive: true, order: order.indexOf(name) }, aliases);
      }
    }
    if (options.generalTerms ?? true) {
      ART_FAMILIES.forEach((f, i) => {
        // An exclusive art family merges with the world's family of that name (colour), so conflicts span both.
        const family = exclusiveWorld.has(f.name) && f.exclusive ? f.name : `art:${f.name}`;
        for (const [text, ...aliases] of f.terms) {
          add({ id: `${family}:${text}`, family, value: text!, text: text!, phrase: `, ${text}`, placement: 'append', exclusive: f.exclusive, order: 100 + i }, aliases);
        }
      });
    }
    return new AttributeCatalog(defs, [...new Set(subjects)]);
  }

  /** The attribute a keyword names (canonical text or any alias), if the catalog knows it. */
  lookup(keyword: string): AttributeDef | undefined {
    return this.byAlias.get(normalizeText(keyword));
  }

  /** Profile key of a keyword: the catalog's canonical text, else the cleaned keyword, else null. */
  canonical(keyword: unknown): string | null {
    if (typeof keyword !== 'string') return null;
    const known = this.canonicals.get(keyword);
    if (known !== undefined) return known;
    const clean = normalizeAttribute(keyword);
    const canonical = clean === null ? null : (this.byAlias.get(clean)?.text ?? clean);
    // Every rating names its image's attributes again: remembered, up to a bound (free text
    // from comments would otherwise grow it without end).
    if (keyword.length > 200) return canonical;
    if (this.canonicals.size >= CANONICALS_KEPT) this.canonicals.clear();
    this.canonicals.set(keyword, canonical);
    return canonical;
  }

  /** Non-overlapping mentions in an already normalized text, left to right. */
  findMentions(normalized: string): Mention[] {
    if (!this.pattern) return [];
    const out: Mention[] = [];
    for (const m of normalized.matchAll(this.pattern)) {
      out.push({ def: this.byAlias.get(m[0])!, start: m.index, end: m.index + m[0].length });
    }
    return out;
  }

  /** The distinct attributes a text names. */
  mentioned(text: string): AttributeDef[] {
    return [...new Set(this.findMentions(normalizeText(text)).map((m) => m.def))];
  }

  /** The stated attribute that `def` would contradict (same exclusive family, other value), if any. */
  conflictWith(def: AttributeDef, stated: readonly AttributeDef[]): AttributeDef | undefined {
    return def.exclusive ? stated.find((s) => s.family === def.family && s.id !== def.id) : undefined;
  }

  /** Whether a keyword (catalog attribute or free text) is named in a text. */
  names(text: string, keyword: string): boolean {
    const def = this.lookup(keyword);
    if (def) return this.mentioned(text).includes(def);
    const k = normalizeText(keyword);
    return k.length > 0 && new RegExp(`(?<![\\p{L}\\p{N}])${escape(k)}(?![\\p{L}\\p{N}])`, 'u').test(normalizeText(text));
  }
}
