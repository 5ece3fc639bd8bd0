// Checks on what the stores are asked to keep, so bad input fails by field before a transaction
// writes anything. The HTTP layer validates first; this is the last line, for every caller.
import { StoreInputError, type NewImage } from '../../pipeline/ports.ts';
import type { HistoryEvent, Profile } from '../../prefs/history.ts';

export const RATING_VALUES = ['like', 'dislike', 1, 2, 3, 4, 5] as const;
const MAX_TEXT = 10_000;
const ID = /^[\w-]{1,128}$/;

type Check = (ok: boolean, field: string, accepted: string, value: unknown) => void;
export const check: Check = (ok, field, accepted, value) => {
  if (!ok) throw new StoreInputError(field, accepted, value);
};

export const isId = (v: unknown): v is string => typeof v === 'string' && ID.test(v);
// NUL is refused: PostgreSQL cannot store it in TEXT, and both stores must accept the same input.
const isText = (v: unknown, max = MAX_TEXT): v is string => typeof v === 'string' && v.length <= max && !v.includes('\u0000');
const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isFiniteArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isFinite(x));
const isTextArray = (v: unknown, max = 1000): v is string[] => Array.isArray(v) && v.length <= max && v.every((x) => isText(x, 500));
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkId(value: unknown, field: string): asserts value is string {
  check(isId(value), field, '1 to 128 letters, digits, _ or -', value);
}

export function checkName(name: unknown): asserts name is string {
  check(isText(name, 100) && name.trim().length > 0, 'name', 'a non-empty string of at most 100 characters', name);
}

export function checkEvent(e: HistoryEvent, field: string): void {
  check(isRecord(e), field, 'an event object', e);
  check(isTime(e.at), `${field}.at`, 'milliseconds since the epoch', e.at);
  switch (e.kind) {
    case 'rating':
      checkId(e.imageId, `${field}.imageId`);
      check((RATING_VALUES as readonly unknown[]).includes(e.value), `${field}.value`, "'like', 'dislike' or 1..5", e.value);
      check(e.comment === undefined || isText(e.comment), `${field}.comment`, `text of at most ${MAX_TEXT} characters`, e.comment);
      return;
    case 'choice':
      checkId(e.winner, `${field}.winner`);
      checkId(e.loser, `${field}.loser`);
      check(e.winner !== e.loser, `${field}.loser`, 'an image other than the winner', e.loser);
      return;
    case 'comment':
      check(isText(e.text), `${field}.text`, `text of at most ${MAX_TEXT} characters`, e.text);
      if (e.imageId !== undefined) checkId(e.imageId, `${field}.imageId`);
      return;
    case 'stated':
      check(isTextArray(e.liked), `${field}.liked`, 'a list of attribute strings', e.liked);
      check(isTextArray(e.disliked), `${field}.disliked`, 'a list of attribute strings', e.disliked);
      return;
    case 'prompt':
      check(isText(e.text), `${field}.text`, `text of at most ${MAX_TEXT} characters`, e.text);
      return;
    default:
      check(false, `${field}.kind`, 'one of rating, choice, comment, stated, prompt', (e as { kind?: unknown }).kind);
  }
}

export function checkProfile(p: Profile, field = 'profile'): void {
  check(isRecord(p), field, 'a profile object', p);
  checkId(p.userId, `${field}.userId`);
  for (const side of ['liked', 'disliked'] as const) {
    const list = p[side];
    check(Array.isArray(list) && list.every((w) => isRecord(w) && isText(w.attribute, 500) && Number.isFinite(w.weight) && (w.weight as number) > 0),
      `${field}.${side}`, 'a list of {attribute, weight > 0}', list);
  }
  check(isFiniteArray(p.vector), `${field}.vector`, 'a list of finite numbers', p.vector);
  check(p.attributeVector === undefined || isFiniteArray(p.attributeVector), `${field}.attributeVector`, 'a list of finite numbers', p.attributeVector);
  check(Number.isFinite(p.strength) && p.strength >= 0 && p.strength <= 1, `${field}.strength`, 'a number in 0..1', p.strength);
  check(Number.isSafeInteger(p.evidence) && p.evidence >= 0, `${field}.evidence`, 'a non-negative integer', p.evidence);
  check(typeof p.updatedAt === 'string' && !Number.isNaN(Date.parse(p.updatedAt)), `${field}.updatedAt`, 'an ISO 8601 date', p.updatedAt);
}

export function checkNewImage(img: NewImage, field: string): void {
  check(isRecord(img), field, 'an image object', img);
  checkId(img.jobId, `${field}.jobId`);
  checkId(img.userId, `${field}.userId`);
  check(Number.isInteger(img.seed) && img.seed >= 0 && img.seed <= 0xffffffff, `${field}.seed`, 'an integer in 0..4294967295', img.seed);
  const f = img.file;
  check(isRecord(f) && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256), `${field}.file.sha256`, '64 lowercase hex digits', f?.sha256);
  check(isText(f.path, 500) && isText(f.thumbPath, 500) && Number.isSafeInteger(f.bytes), `${field}.file`, '{sha256, path, thumbPath, bytes}', f);
  const p = img.params;
  check(isRecord(p) && isText(p.prompt) && isText(p.negativePrompt) && isText(p.scheduler, 100) && isText(p.model, 500), `${field}.params`,
    '{prompt, negativePrompt, steps, guidance, width, height, scheduler, model}', p);
  for (const k of ['steps', 'guidance', 'width', 'height'] as const) check(Number.isFinite(p[k]), `${field}.params.${k}`, 'a number', p[k]);
  check(isText(img.rewrittenPrompt), `${field}.rewrittenPrompt`, `text of at most ${MAX_TEXT} characters`, img.rewrittenPrompt);
  if (img.profile !== null) checkProfile(img.profile, `${field}.profile`);
  check(isRecord(img.scores) && Object.values(img.scores).every(Number.isFinite), `${field}.scores`, 'an object of finite numbers', img.scores);
  check(isFiniteArray(img.embedding), `${field}.embedding`, 'a list of finite numbers', img.embedding);
  check(isTextArray(img.attributes), `${field}.attributes`, 'a list of strings', img.attributes);
  check(img.explanation === undefined || isText(img.explanation), `${field}.explanation`, `text of at most ${MAX_TEXT} characters`, img.explanation);
}
