// Refits on the worker thread give exactly what prefs' refit gives on this one, and fail alike.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RefitThread } from '../../../adapters/refit/refit-thread.ts';
import type { RefitRequest } from '../../../pipeline/ports.ts';
import { AttributeCatalog } from '../../../prefs/attributes.ts';
import type { HistoryEvent, ImageFacts } from '../../../prefs/history.ts';
import { isotropicPrior } from '../../../prefs/prior.ts';
import { refit } from '../../../prefs/profile.ts';
import { mulberry32 } from '../../../scripts/world/prng.ts';
import { vocabulary } from '../../../scripts/world/vocabulary.ts';

const catalog = AttributeCatalog.create({ world: vocabulary });
const thread = new RefitThread({ world: vocabulary });
after(() => thread.close());

const r = mulberry32(11);
const backgrounds = vocabulary.families.background!.values;
const facts: ImageFacts[] = Array.from({ length: 6 }, (_, i) => {
  const e = Array.from({ length: 8 }, () => r() - 0.5);
  const n = Math.hypot(...e);
  return { id: `img-${i}`, prompt: 'a shape', embedding: e.map((x) => x / n), attributes: [`${backgrounds[i % backgrounds.length]} background`] };
});
const events: HistoryEvent[] = [
  { kind: 'rating', imageId: 'img-0', value: 'like', comment: 'love the teal background', at: 1 },
  { kind: 'rating', imageId: 'img-1', value: 2, at: 2 },
  { kind: 'choice', winner: 'img-2', loser: 'img-3', at: 3 },
  { kind: 'stated', liked: ['teal background'], disliked: [], at: 4 },
  { kind: 'rating', imageId: 'no-such-image', value: 5, at: 5 },
  { kind: 'rating', imageId: 'img-4', value: 'dislike', at: 6 },
];
const extractions = new Map([['love the teal background', { liked: ['teal background'], disliked: [] }]]);
const request = (prior = isotropicPrior(8, 1), strength = 0.7): RefitRequest => ({ userId: 'u1', events, facts, context: { prior }, strength, extractions });

test('refits on the thread exactly as on this one', async () => {
  const prior = isotropicPrior(8, 1);
  const byId = new Map(facts.map((f) => [f.id, f]));
  const here = refit('u1', events, { prior, catalog, images: (id) => byId.get(id) }, { strength: 0.7, extractions }).state;
  assert.equal(here.evidence, 4);
  assert.deepEqual(await thread.refit(request(prior)), here);
  // Again with the same prior object (sent once, then named), and with another one.
  assert.deepEqual(await thread.refit(request(prior)), here);
  assert.deepEqual(await thread.refit(request(isotropicPrior(8, 1))), here);
});

test('fails a bad request as prefs does, then goes on', async () => {
  await assert.rejects(thread.refit(request(isotropicPrior(8, 1), 2)), (err: Error & { field?: string }) => err.name === 'PrefsInputError' && err.field === 'strength');
  assert.equal((await thread.refit(request())).evidence, 4);
});

test('runs a refit someone waits for before the background ones queued before it', async () => {
  const order: string[] = [];
  const send = (name: string, background: boolean) => thread.refit({ ...request(), background }).then(() => order.push(name));
  await Promise.all([send('background 1', true), send('background 2', true), send('waited for', false)]);
  assert.deepEqual(order, ['background 1', 'waited for', 'background 2']);
});

test('refuses work once closed', async () => {
  const closing = new RefitThread({ world: vocabulary });
  assert.equal((await closing.refit(request())).userId, 'u1');
  await closing.close();
  await assert.rejects(closing.refit(request()), /refit thread: closed/);
});
