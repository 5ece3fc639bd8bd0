// ViPer's conversation with a language model, as plain text: the instruction that turns a
// person's comments into two keyword lists, and a tolerant reader of the reply
// ("Liked Art Features: a, b, c" / "Disliked Art Features: d, e"). Language models wrap
// that format in markdown, bullets, numbering, "None" or chatter; all of that is read.
import { normalizeAttribute } from './attributes.ts';
import type { Extraction } from './ports.ts';

export const VIPER_SYSTEM_PROMPT = [
  'You read what a person says about images and list the visual art features they like and dislike.',
  'Features are about colours, style, composition, mood, medium, texture, lighting and perspective,',
  'never about the subject matter (no objects, animals or people).',
  'Use short keywords of one to four words. Answer in exactly this format and nothing else:',
  'Liked Art Features: keyword, keyword, ...',
  'Disliked Art Features: keyword, keyword, ...',
  'Write "None" when a list is empty.',
].join('\n');

/** Longest reply read, and most keywords kept per list: a runaway reply cannot flood a profile. */
export const MAX_REPLY_CHARS = 20_000;
export const MAX_KEYWORDS = 32;

export function viperUserPrompt(comments: string): string {
  return `Comments on images:\n${comments}\n\nList the liked and disliked art features.`;
}

export class MalformedReplyError extends Error {
  override readonly name = 'MalformedReplyError';
  constructor(readonly reply: string) {
    super(`the reply has neither a "Liked Art Features:" nor a "Disliked Art Features:" section (starts: ${JSON.stringify(reply.slice(0, 80))})`);
  }
}

const BULLET = /^([-*\u2022]|\d+[.)])\s+/;
/** A sentence rather than a keyword list: ends like one, or has a long segment. */
const isProse = (line: string) => /[!?]\s*$/.test(line) || line.split(/[,;|]/).some((seg) => seg.trim().split(/\s+/).length > 4) || (/\.\s*$/.test(line) && line.split(/[,;|]/).some((seg) => seg.trim().split(/\s+/).length >= 3));

// A header line: optional markdown/bullets, "liked"/"likes"/"disliked"/"dislikes", optional "art features", a colon.
const HEADER = /^[\s>*#_-]*(dis)?lik(?:ed|es)(?:\s+art)?(?:\s+features?)?[\s*_]*:[\s*_]*/i;

/**
 * Reads the two lists. Keywords in both lists are dropped (ViPer's rule); each list is
 * de-duplicated, cleaned (normalizeAttribute) and capped. Throws MalformedReplyError only
 * when neither section is there at all; a reply with one section gives an empty other list.
 */
export function parseViperReply(reply: unknown): Extraction {
  if (typeof reply !== 'string') throw new MalformedReplyError(String(reply));
  const lists: { liked: string[]; disliked: string[] } = { liked: [], disliked: [] };
  let current: string[] | null = null;
  let inline = false;
  let found = false;
  const add = (text: string) => {
    for (const item of text.split(/[,;|]/)) {
      const k = normalizeAttribute(item.replace(/\*\*/g, ''));
      if (k && !/^(none|n\/a|nothing|null|-)$/.test(k)) current!.push(k);
    }
  };
  for (const rawLine of reply.slice(0, MAX_REPLY_CHARS).split(/\r?\n/)) {
    const line = rawLine.trim();
    const header = HEADER.exec(line);
    if (header) {
      found = true;
      current = header[1] ? lists.disliked : lists.liked;
      const rest = line.slice(header[0].length);
      inline = rest.length > 0;
      add(rest);
    } else if (!current || !line) {
      continue;
    } else if (BULLET.test(line)) {
      add(line.replace(BULLET, ''));
    } else if (!inline && !isProse(line)) {
      add(line);
    } else {
      current = null; // chatter after the lists ("Hope this helps!") ends them
    }
  }
  if (!found) throw new MalformedReplyError(reply);
  const liked = [...new Set(lists.liked)];
  const disliked = [...new Set(lists.disliked)];
  const both = new Set(liked.filter((k) => disliked.includes(k)));
  return {
    liked: liked.filter((k) => !both.has(k)).slice(0, MAX_KEYWORDS),
    disliked: disliked.filter((k) => !both.has(k)).slice(0, MAX_KEYWORDS),
  };
}
