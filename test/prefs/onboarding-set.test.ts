import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttributeCatalog } from '../../prefs/attributes.ts';
import { PrefsInputError } from '../../prefs/errors.ts';
import { onboardingSet } from '../../prefs/onboarding-set.ts';
import { vocabulary } from '../../scripts/world/vocabulary.ts';

const catalog = AttributeCatalog.create({ world: vocabulary });
const styleFamilies = Object.entries(vocabulary.families).filter(([, f]) => f.kind === 'style');

test('the onboarding set shows every style value, each as often as the count allows', () => {
  for (const seed of [1, 2, 3, 77]) {
    const set = onboardingSet(catalog, 16, seed);
    assert.equal(set.length, 16);
    for (const [name, family] of styleFamilies) {
      const counts = family.values.map((v) => set.filter((im) => im.attributes.some((d) => d.id === `${name}:${v}`)).length);
      assert.ok(Math.min(...counts) >= Math.floor(16 / family.values.length) && Math.max(...counts) <= Math.ceil(16 / family.values.length), `${name} on seed ${seed}: ${counts}`);
    }
    // The prompt names exactly the design's values, in the world's caption form, and no two images are alike.
    for (const im of set) {
      assert.deepEqual(catalog.mentioned(im.prompt).map((d) => d.id).sort(), im.attributes.map((d) => d.id).sort());
      assert.match(im.prompt, /^a \w+ \w+ shape, on a \w+ background, /);
    }
    assert.equal(new Set(set.map((im) => im.prompt)).size, 16);
  }
});

test('any two four-valued families cross once per pair of values in 16 images (orthogonal)', () => {
  const set = onboardingSet(catalog, 16, 5);
  const four = styleFamilies.filter(([, f]) => f.values.length === 4).map(([name]) => name);
  assert.ok(four.length >= 2);
  for (const f of four) {
    for (const g of four) {
      if (f >= g) continue;
      const pairs = set.map((im) => `${im.attributes.find((d) => d.family === f)!.value}|${im.attributes.find((d) => d.family === g)!.value}`);
      assert.equal(new Set(pairs).size, 16, `${f} x ${g}`);
    }
  }
});

test('a seed reproduces its set and another seed relabels it', () => {
  assert.deepEqual(onboardingSet(catalog, 12, 9).map((im) => im.prompt), onboardingSet(catalog, 12, 9).map((im) => im.prompt));
  assert.notDeepEqual(onboardingSet(catalog, 12, 9).map((im) => im.prompt), onboardingSet(catalog, 12, 10).map((im) => im.prompt));
});

test('the largest set the service serves (64) on the art catalog (12 families) is balanced too', () => {
  const art = AttributeCatalog.create();
  const set = onboardingSet(art, 64, 3);
  const families = new Map<string, Map<string, number>>();
  for (const im of set) for (const d of im.attributes) families.set(d.family, new Map(families.get(d.family) ?? []).set(d.id, (families.get(d.family)?.get(d.id) ?? 0) + 1));
  assert.equal(families.size, 12);
  for (const [family, counts] of families) {
    const size = art.attributes.filter((d) => d.exclusive && d.family === family).length;
    assert.equal(counts.size, size, `${family}: every value shown`);
    assert.ok(Math.max(...counts.values()) - Math.min(...counts.values()) <= 1, `${family}: ${[...counts.values()]}`);
  }
  assert.equal(new Set(set.map((im) => im.prompt)).size, 64, 'no two images alike');
});

test('without a world the set covers the exclusive art families; a count under 2 is refused', () => {
  const art = AttributeCatalog.create();
  const set = onboardingSet(art, 8, 1);
  assert.ok(set.every((im) => im.attributes.length > 1 && im.attributes.every((d) => d.exclusive)));
  assert.throws(() => onboardingSet(catalog, 1, 1), (e: unknown) => e instanceof PrefsInputError && e.field === 'count');
});
