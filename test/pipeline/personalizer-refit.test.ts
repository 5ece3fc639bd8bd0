// Background refits: the ratings that arrive while one runs are folded into its result (none
// is lost, none counted twice), and a reset meanwhile stands. The refitter here holds each
// refit until told, so the test decides what arrives meanwhile; the fit itself is prefs' own.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DiskImageFiles } from '../../adapters/store/image-files.ts';
import { openSqliteStore } from '../../adapters/store/sqlite.ts';
import { FeedbackLoop } from '../../pipeline/feedback.ts';
import { Personalizer } from '../../pipeline/personalizer.ts';
import type { RefitRequest, Refitter } from '../../pipeline/ports.ts';
import { AttributeCatalog } from '../../prefs/attributes.ts';
import type { HistoryEvent } from '../../prefs/history.ts';
import { LocalAttributeExtractor } from '../../prefs/local-extractor.ts';
import { isotropicPrior } from '../../prefs/prior.ts';
import { applyEvent, refit, REFIT_MIN_EVENTS as N, type PreferenceState } from '../../prefs/profile.ts';
import { mulberry32 } from '../../scripts/world/prng.ts';
import { vocabulary } from '../../scripts/world/vocabulary.ts';

const catalog = AttributeCatalog.create({ world: vocabulary });
const prior = isotropicPrior(8, 1);

/** Runs prefs' refit, but answers only once released while `holding`. */
class HeldRefitter implements Refitter {
  holding = false;
  readonly held: (() => void)[] = [];

  async refit(request: RefitRequest): Promise<PreferenceState> {
    const facts = new Map(request.facts.map((f) => [f.id, f]));
    const { state } = refit(request.userId, request.events, { ...request.context, catalog, images: (id) => facts.get(id) }, { strength: request.strength, extractions: request.extractions });
    if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve));
    return state;
  }

  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }

  async close(): Promise<void> {}
}

let dir: string;
let store: Awaited<ReturnType<typeof openSqliteStore>>;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atelier-refit-'));
  store = await openSqliteStore(join(dir, 'atelier.db'));
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** The background refit reads the history and extracts comments before it reaches the refitter. */
async function refitStarted(refitter: HeldRefitter): Promise<void> {
  for (let turn = 0; turn < 100 && refitter.held.length === 0; turn++) await new Promise((r) => setImmediate(r));
  assert.equal(refitter.held.length, 1);
}

async function setUp(name: string) {
  const refitter = new HeldRefitter();
  const personalizer = new Personalizer({ catalog, prior, extractor: new LocalAttributeExtractor(catalog), refitter });
  const feedback = new FeedbackLoop({ history: store, images: store, personalizer });
  const { user } = await store.createUser(name);
  const jobId = `job-${name}`;
  await store.createJob({ id: jobId, userId: user.id, request: { prompt: 'a shape' } });
  const r = mulberry32(name.length);
  const params = { prompt: 'a shape', negativePrompt: '', steps: 4, guidance: 4, width: 8, height: 8, scheduler: 'ddim', model: 'test' };
  const files = new DiskImageFiles(dir);
  const rows = [];
  for (let seed = 0; seed < 6; seed++) {
    const e = Array.from({ length: 8 }, () => r() - 0.5);
    const n = Math.hypot(...e);
    const file = await files.save({ seed, width: 8, height: 8, pixels: new Uint8Array(192).fill(seed) }, params);
    rows.push({ jobId, userId: user.id, seed, file, params, rewrittenPrompt: 'a shape', profile: null, scores: {}, embedding: e.map((x) => x / n), attributes: [`${vocabulary.families.background!.values[seed % 3]} background`] });
  }
  const images = (await store.saveImages(rows)).map((i) => i.id);
  const rate = (k: number) => feedback.record(user.id, [{ kind: 'rating', imageId: images[k % images.length]!, value: ((k % 5) + 1) as 1, at: 1000 + k }]);
  return { userId: user.id, images, refitter, personalizer, feedback, rate };
}

test('folds the ratings that arrive during a background refit into its result', async () => {
  const { userId, refitter, personalizer, rate } = await setUp('Ada');
  await personalizer.state(userId, store);
  refitter.holding = true;
  for (let k = 0; k < N; k++) await rate(k); // the Nth makes a refit due
  await refitStarted(refitter);
  for (let k = N; k < N + 3; k++) await rate(k);
  refitter.release();
  await personalizer.settled();

  const state = await personalizer.state(userId, store);
  assert.equal(state.evidence, N + 3);
  assert.equal(state.sinceRefit, 3, 'the three later ratings were folded into the refit');
  // What it should be: the refit of the first N, then the three by online update.
  const history = await store.history(userId);
  const facts = new Map((await store.imageFacts(userId, history.flatMap((e) => (e.kind === 'rating' ? [e.imageId] : [])))).map((f) => [f.id, f]));
  const ctx = { prior, catalog, images: (id: string) => facts.get(id) };
  let expected = refit(userId, history.slice(0, N), ctx).state;
  for (const event of history.slice(N) as HistoryEvent[]) expected = applyEvent(expected, event, ctx).state;
  assert.deepEqual(state.belief, expected.belief);
  assert.deepEqual(state.stats, expected.stats);
});

test('keeps a reset made during a background refit', async () => {
  const { userId, refitter, personalizer, feedback, rate } = await setUp('Bob');
  await personalizer.state(userId, store);
  refitter.holding = true;
  for (let k = 0; k < N; k++) await rate(k);
  await refitStarted(refitter);
  refitter.holding = false;
  const reset = feedback.reset(userId);
  refitter.release();
  assert.equal((await reset).evidence, 0);
  await personalizer.settled();
  assert.equal((await feedback.profile(userId)).evidence, 0);
});

test('drops a background refit made under priors replaced meanwhile', async () => {
  const { userId, refitter, personalizer, rate } = await setUp('Cy');
  await personalizer.state(userId, store);
  refitter.holding = true;
  for (let k = 0; k < N; k++) await rate(k);
  await refitStarted(refitter);
  refitter.holding = false;
  const wider = isotropicPrior(8, 4);
  personalizer.setPriors({ image: wider });
  await rate(N);
  refitter.release();
  await personalizer.settled();

  const history = await store.history(userId);
  const facts = new Map((await store.imageFacts(userId, history.flatMap((e) => (e.kind === 'rating' ? [e.imageId] : [])))).map((f) => [f.id, f]));
  const ctx = { prior: wider, catalog, images: (id: string) => facts.get(id) };
  const expected = applyEvent(refit(userId, history.slice(0, N), ctx).state, history[N]!, ctx).state;
  assert.deepEqual((await personalizer.state(userId, store)).belief, expected.belief);
});

test('keeps in memory only what the store kept: a batch that fails to fold or to store leaves no trace', async () => {
  const { userId, images, personalizer, feedback, rate } = await setUp('Dee');
  for (let k = 0; k < 3; k++) await rate(k);
  const good: HistoryEvent = { kind: 'rating', imageId: images[3]!, value: 'like', at: 2000 };
  // The second event names an image the user does not own: folding fails after the first was folded in place.
  await assert.rejects(feedback.record(userId, [good, { kind: 'rating', imageId: 'no-such-image', value: 'like', at: 2001 }]), /no-such-image|imageId/);
  // Folding succeeds, storing fails (a full disk, say).
  await assert.rejects(personalizer.update(userId, [good], store, async () => { throw new Error('disk full'); }), /disk full/);

  const history = await store.history(userId);
  assert.equal(history.length, 3);
  const facts = new Map((await store.imageFacts(userId, images)).map((f) => [f.id, f]));
  const expected = refit(userId, history, { prior, catalog, images: (id: string) => facts.get(id) }).state;
  const state = await personalizer.state(userId, store);
  assert.equal(state.evidence, 3);
  assert.deepEqual(state.belief, expected.belief);
  assert.equal((await store.loadProfile(userId))?.evidence, 3);
});
