import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attributeSpace } from '../../prefs/attribute-space.ts';
import { AttributeCatalog } from '../../prefs/attributes.ts';
import { fitBradleyTerry, type Observation } from '../../prefs/bradley-terry.ts';
import type { ImageFacts } from '../../prefs/history.ts';
import { fitPopulationPrior, isotropicPrior, priorToJson } from '../../prefs/prior.ts';
import { applyEvent, initialState, toProfile, type ProfileContext } from '../../prefs/profile.ts';
import { preferenceSpace } from '../../prefs/preference-space.ts';
import { mulberry32 } from '../../scripts/world/prng.ts';
import { vocabulary } from '../../scripts/world/vocabulary.ts';

const catalog = AttributeCatalog.create({ world: vocabulary });
const space = attributeSpace(catalog);
const colours = vocabulary.families.colour!.values;

test('attribute indicators: one value per exclusive family (the tag, listed first, wins), unknown words ignored', () => {
  const t = space.indicator(['blue', 'red', 'striped', 'teal background', 'no such thing']);
  const on = space.keys.filter((_, i) => t[i] === 1);
  assert.deepEqual(on.sort(), ['blue', 'striped', 'teal background']);
  assert.equal(space.axis('stripes'), space.axis('striped'), 'aliases land on the same axis');
  // The average image: 1/n on each drawn value of a world family, nothing on merged art terms.
  const colourCenter = colours.map((c) => space.center[space.axis(c)!]);
  assert.ok(colourCenter.every((c) => Math.abs(c! - 1 / colours.length) < 1e-12));
  assert.equal(space.center[space.axis('pink')!], 0);
});

test('relative weights: a value against its family average; a shift of the whole family means nothing', () => {
  const v = new Float64Array(space.dim);
  for (const c of colours) v[space.axis(c)!] = 5; // likes every colour the same: no preference among them
  v[space.axis('blue')!] = 6;
  const rel = space.relative(v);
  assert.ok(Math.abs(rel[space.axis('blue')!]! - (1 - 1 / colours.length)) < 1e-12);
  assert.ok(Math.abs(rel[space.axis('red')!]! + 1 / colours.length) < 1e-12);
});

test('a stored attribute prior is laid onto another catalog by attribute text', () => {
  const small = AttributeCatalog.create({ world: vocabulary, generalTerms: false });
  const smallSpace = attributeSpace(small);
  const mean = new Array(smallSpace.dim).fill(0);
  mean[smallSpace.axis('teal background')!] = 2;
  const json = { ...priorToJson(isotropicPrior(smallSpace.dim, 0.5)), mean, keys: [...smallSpace.keys] };
  const laid = space.priorFromJson(json);
  assert.equal(laid.dim, space.dim);
  assert.equal(laid.mean[space.axis('teal background')!], 2);
  assert.ok(Math.abs(laid.covariance[space.axis('red')! * (space.dim + 1)]! - 0.5) < 1e-9, 'a known axis keeps its variance');
  assert.ok(Math.abs(laid.covariance[space.axis('watercolor')! * (space.dim + 1)]! - 1) < 1e-9, 'an axis the prior never saw gets the default');
  assert.throws(() => space.priorFromJson({ ...json, keys: json.keys.slice(1) }), /keys/);
});

test('the joint space: phi = [embedding; indicators], a block-diagonal prior, split back into w and v', () => {
  const imagePrior = isotropicPrior(3, 2, [0.1, 0.2, 0.3]);
  const joint = preferenceSpace(catalog, imagePrior);
  assert.equal(joint.dim, 3 + space.dim);
  assert.equal(preferenceSpace(catalog, imagePrior), joint, 'built once per catalog and priors');
  const img = { embedding: [1, 0, 0], attributes: ['red'] };
  const x = joint.features(img);
  assert.deepEqual([...x.subarray(0, 3)], [1, 0, 0]);
  assert.equal(x[3 + space.axis('red')!], 1);
  const c = joint.centered(img);
  assert.ok(Math.abs(c[0]! - 0.9) < 1e-12 && Math.abs(c[3 + space.axis('red')!]! - (1 - 1 / colours.length)) < 1e-12);
  assert.equal(joint.prior.covariance[0], 2);
  assert.equal(joint.prior.covariance[3 * joint.dim + 3], 1);
  assert.equal(joint.prior.covariance[3], 0, 'no correlation between the blocks');
  const { w, v } = joint.split(x);
  assert.equal(w.length, 3);
  assert.equal(v.length, space.dim);
});

test('credit assignment: choices tell apart which of the attributes a winner carried was liked', () => {
  // The user likes teal backgrounds and nothing else; winners also happen to be red half the time.
  const r = mulberry32(3);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const backgrounds = vocabulary.families.background!.values;
  const facts = new Map<string, ImageFacts>();
  const image = (colour: string, background: string) => {
    const id = `img${facts.size}`;
    facts.set(id, { id, embedding: [r(), r()], prompt: '', attributes: [colour, `${background} background`] });
    return id;
  };
  // An attribute prior given (isotropic here, fitted from a population in the service): the lists come from v_u.
  const ctx: ProfileContext = { prior: isotropicPrior(2, 1), attributePrior: space.isotropicPrior(), catalog, images: (id) => facts.get(id) };
  let state = initialState('u', ctx);
  for (let i = 0; i < 24; i++) {
    const winner = image(i % 2 ? 'red' : pick(colours), 'teal');
    const loser = image(pick(colours), pick(backgrounds.filter((b) => b !== 'teal')));
    state = applyEvent(state, { kind: 'choice', winner, loser, at: i }, ctx).state;
  }
  const profile = toProfile(state, preferenceSpace(catalog, ctx.prior, ctx.attributePrior));
  assert.equal(profile.liked[0]!.attribute, 'teal background', JSON.stringify(profile.liked.slice(0, 3)));
  const weight = (a: string) => profile.liked.find((l) => l.attribute === a)?.weight ?? 0;
  assert.ok(weight('teal background') > 2 * weight('red'), `teal ${weight('teal background')} vs red ${weight('red')}`);
  assert.equal(profile.attributeVector?.length, space.dim);
  // Without an attribute prior (a new deployment), contrast statistics name the likes: teal still leads.
  const plain = { ...ctx, attributePrior: undefined };
  const byStats = toProfile(state, preferenceSpace(catalog, plain.prior));
  assert.equal(byStats.liked[0]!.attribute, 'teal background');
  assert.equal(byStats.attributeVector?.length, space.dim, 'v_u still ranks candidates');
});

test('a population prior over attributes: a new user starts from what people share', () => {
  // Everyone likes teal backgrounds; each user is asked a few random pairs.
  const r = mulberry32(9);
  const backgrounds = vocabulary.families.background!.values;
  const users: Observation[][] = Array.from({ length: 30 }, () => Array.from({ length: 8 }, () => {
    const other = backgrounds.filter((b) => b !== 'teal')[Math.floor(r() * 3)]!;
    const x = space.indicator(['teal background']);
    x[space.axis(`${other} background`)!] = -1;
    return { x, target: 1, weight: 1 };
  }));
  const prior = fitPopulationPrior(users, space.dim, { rank: 2, center: space.center });
  const rel = space.relative(prior.mean);
  assert.ok(rel[space.axis('teal background')!]! > 0.5, `population mean of teal ${rel[space.axis('teal background')!]}`);
  // With no history, the profile is the population's.
  const ctx: ProfileContext = { prior: isotropicPrior(2, 1), attributePrior: prior, catalog, images: () => undefined };
  const profile = toProfile(initialState('new', ctx), preferenceSpace(catalog, ctx.prior, prior));
  assert.equal(profile.liked[0]?.attribute, 'teal background');
  // And a fit on no data returns the mean.
  assert.deepEqual([...fitBradleyTerry([], prior).mean], [...prior.mean]);
});

test('terms merged into a drawn family (pink among the world colours) are not liked just because the drawn ones fell', () => {
  const ctx: ProfileContext = { prior: isotropicPrior(2, 1), attributePrior: space.isotropicPrior(), catalog, images: () => undefined };
  const joint = preferenceSpace(catalog, ctx.prior, ctx.attributePrior);
  const state = initialState('u', ctx);
  const mean = Float64Array.from(state.belief.mean);
  for (const c of colours) mean[2 + space.axis(c)!] = -2;
  mean[2 + space.axis('blue')!] = -1;
  const profile = toProfile({ ...state, belief: { ...state.belief, mean } }, joint);
  const liked = profile.liked.map((l) => l.attribute);
  assert.ok(liked.includes('blue'), JSON.stringify(profile.liked));
  assert.ok(!liked.includes('pink') && !liked.includes('gold'), JSON.stringify(profile.liked));
  // Named outright, it counts.
  const stated = applyEvent({ ...state, belief: { ...state.belief, mean } }, { kind: 'stated', liked: ['pink'], disliked: [], at: 1 }, ctx).state;
  assert.ok(toProfile(stated, joint).liked.some((l) => l.attribute === 'pink'));
});

test('general art terms no image of the user carried are not liked on weight borrowed from the population', () => {
  // A world catalog: art terms are never drawn, so their posterior weight can only come through
  // the population prior's correlations (the "art deco" a profile once gained after a few choices).
  const ctx: ProfileContext = { prior: isotropicPrior(2, 1), attributePrior: space.isotropicPrior(), catalog, images: () => undefined };
  const joint = preferenceSpace(catalog, ctx.prior, ctx.attributePrior);
  const state = initialState('u', ctx);
  const mean = Float64Array.from(state.belief.mean);
  mean[2 + space.axis('art deco')!] = 3;
  mean[2 + space.axis('collage')!] = 3;
  mean[2 + space.axis('teal background')!] = 2;
  const borrowed = { ...state, belief: { ...state.belief, mean } };
  const liked = toProfile(borrowed, joint).liked.map((l) => l.attribute);
  assert.ok(liked.includes('teal background'), JSON.stringify(liked));
  assert.ok(!liked.includes('art deco') && !liked.includes('collage'), JSON.stringify(liked));
  // Named outright, it counts.
  const stated = applyEvent(borrowed, { kind: 'stated', liked: ['art deco'], disliked: [], at: 1 }, ctx).state;
  assert.ok(toProfile(stated, joint).liked.some((l) => l.attribute === 'art deco'));
  // Without a world (a real model's catalog: every term is drawn from prompts), nothing changes.
  const general = AttributeCatalog.create({});
  assert.equal(attributeSpace(general).undrawn.size, 0);
});

test('an image\'s features are computed once per image object, and centering does not write into them', () => {
  const joint = preferenceSpace(catalog, isotropicPrior(3, 1));
  const img = { embedding: [0.6, 0.8, 0], attributes: ['teal background', 'striped'] };
  const phi = joint.features(img);
  const copy = phi.slice();
  const x = joint.centered(img);
  assert.equal(joint.features(img), phi, 'the same array for the same image object');
  assert.equal(joint.centered(img), x);
  assert.deepEqual(phi, copy, 'centering left phi as it was');
  assert.notEqual(x, phi);
  for (let i = 0; i < joint.dim; i++) {
    const center = i < 3 ? joint.imagePrior.center[i]! : joint.attributes.center[i - 3]!;
    assert.equal(x[i], phi[i]! - center);
  }
  // Another object with the same facts gets equal numbers of its own.
  const twin = { embedding: [0.6, 0.8, 0], attributes: ['teal background', 'striped'] };
  assert.notEqual(joint.features(twin), phi);
  assert.deepEqual(joint.features(twin), phi);
});

test('canonical keywords stay the same when remembered, past the memory\'s bound too', () => {
  const words = ['Teal Background!', 'stripes', '  golden hour ', 'no such thing at all', 42, '', 'x'.repeat(300)];
  const fresh = AttributeCatalog.create({ world: vocabulary });
  const first = words.map((w) => fresh.canonical(w));
  assert.deepEqual(first.slice(0, 2), ['teal background', 'striped']);
  assert.equal(first[4], null);
  for (let i = 0; i < 5000; i++) fresh.canonical(`filler keyword ${i}`);
  assert.deepEqual(words.map((w) => fresh.canonical(w)), first);
  assert.deepEqual(words.map((w) => AttributeCatalog.create({ world: vocabulary }).canonical(w)), first);
});
