import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExtraGuidance } from '../../pipeline/diffusion/text-to-image.ts';
import { AttributeCatalog } from '../../prefs/attributes.ts';
import { preferenceGuidance, VIPER_B_NEG, VIPER_B_POS } from '../../prefs/conditioning.ts';
import { PrefsInputError } from '../../prefs/errors.ts';
import type { Profile } from '../../prefs/history.ts';
import { rerank } from '../../prefs/rerank.ts';
import { vocabulary } from '../../scripts/world/vocabulary.ts';

const catalog = AttributeCatalog.create({ world: vocabulary });
const profile: Profile = {
  userId: 'u', strength: 1, evidence: 5, updatedAt: '2024-01-01T00:00:00.000Z', vector: [1, 0],
  liked: [{ attribute: 'blue', weight: 0.9 }, { attribute: 'teal background', weight: 0.5 }, { attribute: 'film grain', weight: 0.3 }],
  disliked: [{ attribute: 'red', weight: 0.7 }, { attribute: 'spotlight', weight: 0.4 }],
};

test('ViPer conditioning: liked text pulled with +b, disliked pushed with -b, both scaled by strength', () => {
  const terms: ExtraGuidance[] = preferenceGuidance(profile, catalog, { seed: 1 });
  assert.equal(terms.length, 2);
  assert.equal(VIPER_B_POS, 0.85);
  assert.equal(terms[0]!.weight, VIPER_B_POS);
  assert.equal(terms[1]!.weight, -VIPER_B_NEG);
  const text = (t: ExtraGuidance) => ('text' in t.condition ? t.condition.text : '');
  // Written as captions, the way the text encoder was trained.
  assert.equal(text(terms[0]!), 'a blue shape, on a teal background, film grain');
  assert.equal(text(terms[1]!), 'a red shape, under a spotlight');
  const half = preferenceGuidance(profile, catalog, { strength: 0.5 });
  assert.deepEqual(half.map((t) => t.weight), [0.425, -0.425]);
  assert.deepEqual(preferenceGuidance(profile, catalog, { strength: 0 }), []);
  assert.deepEqual(preferenceGuidance({ ...profile, strength: 0 }, catalog), []);
  // Seeded shuffles (ViPer shuffles per prompt): same seed, same text.
  assert.deepEqual(preferenceGuidance(profile, catalog, { seed: 7 }), preferenceGuidance(profile, catalog, { seed: 7 }));
});

test('conditioning leaves out what the prompt contradicts or asks for, and fits the token budget', () => {
  const terms = preferenceGuidance(profile, catalog, { prompt: 'a red square, under a spotlight, film grain' });
  assert.deepEqual(terms.map((t) => ('text' in t.condition ? t.condition.text : '')), ['a shape, on a teal background'], 'blue contradicts red; film grain is already asked for; red and spotlight are asked for');
  const tight = preferenceGuidance(profile, catalog, { tokens: { count: (s) => s.split(/[ ,]+/).length, budget: 2 } });
  for (const t of tight) assert.ok(('text' in t.condition ? t.condition.text : '').split(/[ ,]+/).length <= 2);
  assert.throws(() => preferenceGuidance(profile, catalog, { strength: -1 }), PrefsInputError);
});

test('the reranker scores w.phi + lambda cos(phi, prompt), keeps k and reports every component', () => {
  const candidates = [
    { id: 'a', embedding: [0.6, 0.8] },
    { id: 'b', embedding: [1, 0] },
    { id: 'c', embedding: [0, 1] },
  ];
  const scored = rerank({ vector: [2, 0], candidates, promptEmbedding: [0, 1], keep: 2, lambda: 1.5 });
  assert.deepEqual(scored.map((s) => s.id), ['a', 'b', 'c'], 'in candidate order');
  const a = scored[0]!;
  assert.ok(Math.abs(a.preference - 1.2) < 1e-12 && Math.abs(a.faithfulness - 0.8) < 1e-12 && Math.abs(a.score - 2.4) < 1e-12);
  assert.deepEqual(scored.map((s) => [s.rank, s.kept]), [[1, true], [2, true], [3, false]]);
  // lambda 0: taste alone; no prompt embedding: faithfulness 0.
  assert.deepEqual(rerank({ vector: [2, 0], candidates, keep: 1, lambda: 0 }).filter((s) => s.kept).map((s) => s.id), ['b']);
  // Ties keep generation order.
  assert.deepEqual(rerank({ vector: [0, 0], candidates, keep: 1 }).map((s) => s.rank), [1, 2, 3]);
  assert.throws(() => rerank({ vector: [1, 0], candidates: [{ id: 'x', embedding: [1] }], keep: 1 }), /candidates\[0\]\.embedding/);
  assert.throws(() => rerank({ vector: [NaN, 0], candidates, keep: 1 }), PrefsInputError);
  assert.throws(() => rerank({ vector: [1, 0], candidates, keep: 0 }), /keep/);
});
