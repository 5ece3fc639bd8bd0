import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PromptTokenizer } from '../../adapters/onnx/tokenizer.ts';
import { AttributeCatalog } from '../../prefs/attributes.ts';
import { PrefsInputError } from '../../prefs/errors.ts';
import type { Profile } from '../../prefs/history.ts';
import type { TokenCounter } from '../../prefs/ports.ts';
import { seededRng, shuffled } from '../../prefs/random.ts';
import { rewritePrompt } from '../../prefs/rewrite.ts';
import { randomCaption } from '../../scripts/world/caption.ts';
import { mulberry32 } from '../../scripts/world/prng.ts';
import { randomAttributes } from '../../scripts/world/sample.ts';
import { vocabulary } from '../../scripts/world/vocabulary.ts';
import { FIXTURES, SHARED } from '../helpers.ts';

const catalog = AttributeCatalog.create({ world: vocabulary });
const counter = (t: PromptTokenizer): TokenCounter => ({ count: (s) => t.tokenize(s).tokenCount, budget: t.maxLength });
const packTokens = counter(PromptTokenizer.fromFolder(join(FIXTURES, 'tiny-sd-float-timestep', 'tokenizer')));
const clipDir = join(SHARED, 'data', 'clip-tokenizer');
const clipTokens = existsSync(join(clipDir, 'vocab.json')) ? counter(PromptTokenizer.fromFolder(clipDir, 77)) : undefined;

const profile = (liked: [string, number][], disliked: [string, number][] = [], strength = 1): Profile => ({
  userId: 'u', liked: liked.map(([attribute, weight]) => ({ attribute, weight })), disliked: disliked.map(([attribute, weight]) => ({ attribute, weight })),
  vector: [], strength, evidence: 10, updatedAt: '2024-01-01T00:00:00.000Z',
});
const words = (s: string) => s.toLowerCase().split(/[^a-z']+/).filter(Boolean);
const isSubsequence = (small: string[], big: string[]) => { let i = 0; for (const w of big) if (w === small[i]) i++; return i === small.length; };

test('liked attributes go where the model expects them; disliked ones into the negative prompt', () => {
  const p = profile([['blue', 0.9], ['striped', 0.6], ['teal background', 0.5], ['film grain', 0.2]], [['spotlight', 0.4]]);
  const out = rewritePrompt('a circle, lit from above', p, catalog, { tokens: packTokens, seed: 3 });
  assert.equal(out.prompt, 'a blue striped circle, on a teal background, lit from above, film grain');
  assert.equal(out.negativePrompt, 'a shape, under a spotlight', 'a caption, as the text encoder was trained');
  assert.deepEqual(out.explanation.added.map((a) => a.attribute), ['blue', 'striped', 'teal background', 'film grain']);
  assert.match(out.explanation.added[0]!.reason, /liked \(weight 0\.90\)/);
  assert.match(out.explanation.summary, /added "blue"/);
  // Strength scales how much is added; 0 leaves everything as typed.
  assert.equal(rewritePrompt('a circle', p, catalog, { tokens: packTokens, strength: 0.25 }).explanation.added.length, 1);
  const off = rewritePrompt('a circle', { ...p, strength: 0 }, catalog, { tokens: packTokens, negativePrompt: 'blurry' });
  assert.deepEqual([off.prompt, off.negativePrompt, off.explanation.added.length], ['a circle', 'blurry', 0]);
});

test('a prompt that names an attribute gets no contradicting one, and never has it negated', () => {
  const p = profile([['blue', 0.9], ['checkered', 0.5], ['oil painting', 0.4]], [['red', 0.8], ['watercolor', 0.3], ['dark', 0.3]]);
  const out = rewritePrompt('a red striped square, watercolor', p, catalog, { tokens: packTokens, negativePrompt: 'blurry' });
  assert.equal(out.prompt, 'a red striped square, watercolor');
  assert.equal(out.negativePrompt, 'blurry, dark');
  const why = Object.fromEntries(out.explanation.skipped.map((s) => [s.attribute, s.reason]));
  assert.equal(why.blue, 'conflicts with "red" in the prompt');
  assert.equal(why.checkered, 'conflicts with "striped" in the prompt');
  assert.equal(why.red, 'disliked, but the prompt asks for it');
  assert.equal(rewritePrompt('a circle', p, catalog, { tokens: packTokens, negativePrompt: 'blue' }).prompt, 'a checkered circle, oil painting', 'the person\'s own negative wins over a like');
  // Two liked values of one family: only the stronger goes in.
  assert.equal(rewritePrompt('a circle', profile([['blue', 0.9], ['green', 0.8]]), catalog, { tokens: packTokens }).prompt, 'a blue circle');
});

test('the token budget is never exceeded and the prompt is only ever added to (random profiles and prompts)', () => {
  const r = mulberry32(99);
  const pool = catalog.attributes.map((a) => a.text).concat(['film grain', 'hazy atmosphere', 'glitter']);
  for (const tokens of [packTokens, clipTokens].filter((t): t is TokenCounter => t !== undefined)) {
    for (let i = 0; i < 300; i++) {
      const picks = shuffled(pool, seededRng(i)).slice(0, 16);
      const p = profile(picks.slice(0, 10).map((a) => [a, r() + 0.01]), picks.slice(10).map((a) => [a, r() + 0.01]));
      const base = randomCaption(randomAttributes(r), r);
      const prompt = i % 5 === 0 ? `${base}, ${'very '.repeat(Math.floor(r() * 40))}detailed` : base;
      const past = Array.from({ length: 4 }, () => randomCaption(randomAttributes(r), r));
      const out = rewritePrompt(prompt, p, catalog, { tokens, seed: i, pastPrompts: past });
      const again = rewritePrompt(prompt, p, catalog, { tokens, seed: i, pastPrompts: past });
      assert.deepEqual(again, out, 'deterministic for a seed');
      const fits = tokens.count(prompt) <= tokens.budget;
      if (fits) assert.ok(tokens.count(out.prompt) <= tokens.budget, `${tokens.count(out.prompt)} tokens: ${out.prompt}`);
      else assert.equal(out.prompt, prompt, 'an over-long prompt is left as typed');
      assert.ok(tokens.count(out.negativePrompt) <= tokens.budget);
      assert.ok(isSubsequence(words(prompt), words(out.prompt)), `kept: ${prompt} -> ${out.prompt}`);
      const stated = catalog.mentioned(prompt);
      const all = catalog.mentioned(out.prompt);
      for (const d of all) assert.equal(catalog.conflictWith(d, all), undefined, `no contradiction in: ${out.prompt}`);
      for (const d of catalog.mentioned(out.negativePrompt)) {
        assert.ok(!stated.includes(d) && !all.includes(d), `negative "${out.negativePrompt}" avoids what "${out.prompt}" asks for`);
      }
      for (const a of out.explanation.added) assert.ok(catalog.names(out.prompt, a.attribute), `explained addition "${a.attribute}" is in the prompt`);
    }
  }
});

test('style phrases are borrowed from the most similar past prompts (Tailored Visions)', () => {
  const past = ['a red circle, under a spotlight', 'a circle, on a sand background, watercolor', 'a green square, lit from the left', 'a triangle'];
  const out = rewritePrompt('a circle', profile([], [['watercolor', 0.5]]), catalog, { tokens: packTokens, pastPrompts: past, maxAdded: 6 });
  const added = out.explanation.added.map((a) => a.attribute).sort();
  assert.deepEqual(added, ['red', 'sand background', 'spotlight'], 'from the circle prompts; not the disliked watercolor, not the squares');
  assert.match(out.explanation.added[0]!.reason, /in a similar past prompt/);
});

test('bad input is refused with the field named', () => {
  const p = profile([['blue', 1]]);
  assert.throws(() => rewritePrompt('a circle', p, catalog, { tokens: packTokens, strength: 2 }), (e) => e instanceof PrefsInputError && e.field === 'strength');
  assert.throws(() => rewritePrompt(undefined as unknown as string, p, catalog, { tokens: packTokens }), (e) => e instanceof PrefsInputError && e.field === 'prompt');
  // Absurd attribute strings in a profile are passed over, not pasted into prompts.
  const absurd = rewritePrompt('a circle', profile([['x'.repeat(10_000), 5], ['blue', 1]]), catalog, { tokens: packTokens });
  assert.equal(absurd.prompt, 'a blue circle');
});

test('the negative prompt keeps one value per world family, strongest first, and lists other terms', () => {
  const p = profile([], [['green', 0.9], ['red', 0.7], ['white background', 0.5], ['watercolor', 0.3]]);
  const out = rewritePrompt('a circle', p, catalog, { tokens: packTokens, seed: 1 });
  assert.equal(out.negativePrompt, 'a green shape, on a white background, watercolor');
  assert.match(out.explanation.skipped.find((s) => s.attribute === 'red')!.reason, /"green" of the same family is stronger/);
});
