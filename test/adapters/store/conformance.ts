// One suite for every store adapter (SQLite, PostgreSQL): users and keys, isolation, images,
// history, profiles, and all-or-nothing writes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  StoreInputError, StoreNotFoundError,
  type HistoryStore, type ImageStore, type NewImage, type UserStore,
} from '../../../pipeline/ports.ts';
import type { HistoryEvent, Profile } from '../../../prefs/history.ts';

export type Store = UserStore & ImageStore & HistoryStore & { close(): Promise<void> };

export interface StoreHarness {
  readonly store: Store;
  /** Raw SQL on the same database, to look at what is kept at rest. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** A second store opened on the same database (as a restart or another process would). */
  reopen(): Promise<Store>;
  cleanup(): Promise<void>;
}

export type MakeStore = () => Promise<StoreHarness>;

const isInputError = (field: string) => (err: unknown) => err instanceof StoreInputError && err.field === field;
const isNotFound = (kind: string) => (err: unknown) => err instanceof StoreNotFoundError && err.kind === kind;

function profileOf(userId: string, strength = 0.7): Profile {
  return {
    userId, liked: [{ attribute: 'teal background', weight: 1.5 }], disliked: [{ attribute: 'stripes', weight: 0.4 }],
    vector: [0.25, -0.5, 0.125], strength, evidence: 12, updatedAt: '2025-01-02T03:04:05.000Z',
  };
}

function imageOf(jobId: string, userId: string, seed: number, prompt = 'a red circle'): NewImage {
  const sha256 = createHash('sha256').update(`${jobId}/${seed}`).digest('hex');
  return {
    jobId, userId, seed,
    file: { sha256, path: `images/${sha256.slice(0, 2)}/${sha256.slice(2)}.png`, thumbPath: `images/${sha256.slice(0, 2)}/${sha256.slice(2)}.thumb.webp`, bytes: 1234 },
    params: { prompt, negativePrompt: 'blurry', steps: 20, guidance: 4, width: 32, height: 32, scheduler: 'ddim', model: 'atelier-tiny', extras: { personalization: 0.5 } },
    rewrittenPrompt: `${prompt}, teal background`,
    profile: profileOf(userId),
    scores: { personal: 0.81, prior: 0.4, total: 1.21 },
    embedding: [0.6, 0.8],
    attributes: ['red', 'circle'],
    explanation: 'closest to what you liked',
  };
}

export function storeConformance(name: string, make: MakeStore): void {
  describe(`store conformance: ${name}`, () => {
    const withStore = (body: (h: StoreHarness) => Promise<void>) => async () => {
      const h = await make();
      try {
        await body(h);
      } finally {
        await h.cleanup();
      }
    };

    /** A user with one job. */
    async function userWithJob(store: Store, name: string, jobId: string) {
      const { user, apiKey } = await store.createUser(name);
      await store.createJob({ id: jobId, userId: user.id, request: { prompt: 'a red circle', n: 2 } });
      return { user, apiKey };
    }

    it('creates users with API keys kept only as hashes; a wrong key is null', withStore(async ({ store, query }) => {
      const { user, apiKey } = await store.createUser('Ada');
      assert.equal(user.name, 'Ada');
      assert.match(apiKey, /^atl_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(await store.authenticate(apiKey), user);
      const wrong = apiKey.slice(0, -1) + (apiKey.endsWith('A') ? 'B' : 'A');
      for (const key of [wrong, '', 'atl_', 'Bearer ' + apiKey, apiKey + 'x']) assert.equal(await store.authenticate(key), null, key);
      const second = await store.issueApiKey(user.id);
      assert.notEqual(second, apiKey);
      assert.deepEqual(await store.authenticate(second), user);
      const kept = (await query('SELECT key_hash FROM api_keys')).map((r) => r.key_hash);
      assert.deepEqual(kept.sort(), [apiKey, second].map((k) => createHash('sha256').update(k).digest('hex')).sort());
      await assert.rejects(store.createUser(''), isInputError('name'));
      await assert.rejects(store.issueApiKey('no-such-user'), isNotFound('user'));
    }));

    it("keeps every user's images, jobs and history to themselves", withStore(async ({ store }) => {
      const { user: ada } = await userWithJob(store, 'Ada', 'job-ada');
      const { user: bob } = await userWithJob(store, 'Bob', 'job-bob');
      const [image] = await store.saveImages([imageOf('job-ada', ada.id, 1)]);
      assert.equal((await store.getImage(ada.id, image!.id))?.id, image!.id);
      assert.equal(await store.getImage(bob.id, image!.id), undefined);
      assert.deepEqual(await store.listImages(bob.id), { images: [] });
      assert.deepEqual(await store.jobImages(bob.id, 'job-ada'), []);
      assert.equal(await store.getJob(bob.id, 'job-ada'), undefined);
      assert.deepEqual(await store.imageFacts(bob.id, [image!.id]), []);
      await assert.rejects(store.append(bob.id, [{ kind: 'rating', imageId: image!.id, value: 'dislike', at: 1 }]), isNotFound('image'));
      await assert.rejects(store.append(bob.id, [{ kind: 'choice', winner: image!.id, loser: image!.id + 'x', at: 1 }]), isNotFound('image'));
      assert.equal((await store.getImage(ada.id, image!.id))?.rating, undefined);
      assert.deepEqual(await store.history(bob.id), []);
      // Nor can one user file images under another's job.
      await assert.rejects(store.saveImages([imageOf('job-ada', bob.id, 2)]), isNotFound('job'));
      await assert.rejects(store.createJob({ id: 'job-ada', userId: bob.id, request: {} }), isInputError('id'));
    }));

    it('stores an image with everything it was made from, once per job and seed', withStore(async ({ store }) => {
      const { user } = await userWithJob(store, 'Ada', 'job-1');
      const images = [imageOf('job-1', user.id, 7), imageOf('job-1', user.id, 4294967295)];
      const saved = await store.saveImages(images);
      assert.equal(saved.length, 2);
      saved.forEach((s, i) => {
        const { id, createdAt, ...rest } = s;
        assert.deepEqual(rest, images[i]);
        assert.ok(id && createdAt > 0);
      });
      // The job retried on another worker, twice at once: same rows back, none added.
      const [again, racing] = await Promise.all([store.saveImages(images), store.saveImages(images)]);
      assert.deepEqual(again!.map((s) => s.id), saved.map((s) => s.id));
      assert.deepEqual(racing!.map((s) => s.id), saved.map((s) => s.id));
      assert.deepEqual((await store.jobImages(user.id, 'job-1')).map((s) => s.id), saved.map((s) => s.id));
      assert.deepEqual(await store.getImage(user.id, saved[0]!.id), saved[0]);
      assert.deepEqual(await store.imageFacts(user.id, [saved[1]!.id, 'unknown', saved[0]!.id]), [
        { id: saved[1]!.id, prompt: 'a red circle', embedding: [0.6, 0.8], attributes: ['red', 'circle'] },
        { id: saved[0]!.id, prompt: 'a red circle', embedding: [0.6, 0.8], attributes: ['red', 'circle'] },
      ]);
      await assert.rejects(store.saveImages([{ ...images[0]!, seed: -1 }]), isInputError('images[0].seed'));
      await assert.rejects(store.saveImages([{ ...images[0]!, profile: { ...profileOf(user.id), strength: 3 } }]), isInputError('images[0].profile.strength'));
    }));

    it('records jobs: idempotent create, then how they ended', withStore(async ({ store }) => {
      const { user } = await userWithJob(store, 'Ada', 'job-1');
      await store.createJob({ id: 'job-1', userId: user.id, request: { prompt: 'a red circle', n: 2 } });
      const job = await store.getJob(user.id, 'job-1');
      assert.deepEqual({ ...job, createdAt: 0 }, { id: 'job-1', userId: user.id, request: { prompt: 'a red circle', n: 2 }, state: 'queued', createdAt: 0 });
      await store.finishJob('job-1', 'failed', 'backend down');
      const done = await store.getJob(user.id, 'job-1');
      assert.equal(done?.state, 'failed');
      assert.equal(done?.error, 'backend down');
      assert.ok(done!.finishedAt! >= done!.createdAt);
      await assert.rejects(store.finishJob('no-such-job', 'completed'), isNotFound('job'));
      await assert.rejects(store.createJob({ id: 'job-2', userId: 'no-such-user', request: {} }), isNotFound('user'));
      await assert.rejects(store.createJob({ id: '../etc', userId: user.id, request: {} }), isInputError('id'));
    }));

    it('fails the jobs left unfinished, and only those, saying why', withStore(async ({ store }) => {
      const { user } = await userWithJob(store, 'Ada', 'job-1');
      await store.createJob({ id: 'job-2', userId: user.id, request: {} });
      await store.createJob({ id: 'job-3', userId: user.id, request: {} });
      await store.finishJob('job-3', 'completed');
      assert.equal(await store.failUnfinishedJobs('the server stopped'), 2);
      for (const id of ['job-1', 'job-2']) {
        const job = await store.getJob(user.id, id);
        assert.equal(job?.state, 'failed');
        assert.equal(job?.error, 'the server stopped');
      }
      assert.equal((await store.getJob(user.id, 'job-3'))?.state, 'completed');
      assert.equal(await store.failUnfinishedJobs('again'), 0);
      await assert.rejects(store.failUnfinishedJobs(''), isInputError('reason'));
    }));

    it('appends ratings, choices, comments and other events, and reads them back in order', withStore(async ({ store }) => {
      const { user } = await userWithJob(store, 'Ada', 'job-1');
      const [a, b] = await store.saveImages([imageOf('job-1', user.id, 1), imageOf('job-1', user.id, 2)]);
      const events: HistoryEvent[] = [
        { kind: 'prompt', text: 'a red circle', at: 1000 },
        { kind: 'rating', imageId: a!.id, value: 'like', comment: 'lovely teal', at: 1001 },
        { kind: 'choice', winner: b!.id, loser: a!.id, at: 1002 },
        { kind: 'comment', text: 'less stripes please', imageId: b!.id, at: 1003 },
        { kind: 'stated', liked: ['teal background'], disliked: ['stripes'], at: 1004 },
        { kind: 'rating', imageId: a!.id, value: 2, at: 1005 },
        { kind: 'comment', text: 'in general: bolder', at: 1006 },
      ];
      await store.append(user.id, events.slice(0, 3));
      await store.append(user.id, events.slice(3));
      await store.append(user.id, []);
      assert.deepEqual(await store.history(user.id), events);
      assert.deepEqual(await store.history(user.id, { limit: 2 }), events.slice(-2));
      assert.equal((await store.getImage(user.id, a!.id))?.rating, 2);
      // Unknown fields are not kept: the history holds what each kind means, nothing else.
      await store.append(user.id, [{ kind: 'prompt', text: 'x', at: 1007, secret: 'y' } as HistoryEvent]);
      assert.deepEqual((await store.history(user.id, { limit: 1 }))[0], { kind: 'prompt', text: 'x', at: 1007 });
    }));

    it('lists the users who rated or chose, the most recently active first', withStore(async ({ store }) => {
      const { user: ada } = await userWithJob(store, 'Ada', 'job-1');
      const { user: bob } = await userWithJob(store, 'Bob', 'job-bob');
      const { user: cy } = await userWithJob(store, 'Cy', 'job-cy');
      const [a] = await store.saveImages([imageOf('job-1', ada.id, 1)]);
      const [b] = await store.saveImages([imageOf('job-bob', bob.id, 1)]);
      assert.deepEqual(await store.historyUsers(), []);
      await store.append(ada.id, [{ kind: 'rating', imageId: a!.id, value: 'like', at: 1 }]);
      await store.append(bob.id, [{ kind: 'rating', imageId: b!.id, value: 4, at: 2 }]);
      await store.append(cy.id, [{ kind: 'prompt', text: 'a circle', at: 3 }]); // no judgement: not listed
      assert.deepEqual(await store.historyUsers(), [bob.id, ada.id]);
      assert.deepEqual(await store.historyUsers({ limit: 1 }), [bob.id]);
      await assert.rejects(store.historyUsers({ limit: 0 }), isInputError('limit'));
    }));

    it('writes nothing of a batch with a bad item', withStore(async ({ store }) => {
      const { user } = await userWithJob(store, 'Ada', 'job-1');
      const { user: bob } = await userWithJob(store, 'Bob', 'job-bob');
      const [a] = await store.saveImages([imageOf('job-1', user.id, 1)]);
      const good: HistoryEvent = { kind: 'rating', imageId: a!.id, value: 'like', at: 1 };
      await assert.rejects(store.append(user.id, [good, { kind: 'rating', imageId: a!.id, value: 7 as 5, at: 2 }]), isInputError('events[1].value'));
      await assert.rejects(store.append(user.id, [good, { kind: 'teleport', at: 3 } as unknown as HistoryEvent]), isInputError('events[1].kind'));
      await assert.rejects(store.append(user.id, [good, { kind: 'comment', text: 'nul \u0000 byte', at: 4 }]), isInputError('events[1].text'));
      // Passes every check, fails inside the transaction: the first event must be rolled back too.
      const [foreign] = await store.saveImages([imageOf('job-bob', bob.id, 1)]);
      await assert.rejects(store.append(user.id, [good, { kind: 'rating', imageId: foreign!.id, value: 'like', at: 5 }]), isNotFound('image'));
      assert.deepEqual(await store.history(user.id), []);
      assert.equal((await store.getImage(user.id, a!.id))?.rating, undefined);
      await assert.rejects(store.saveImages([imageOf('job-1', user.id, 2), imageOf('job-bob', user.id, 3)]), isNotFound('job'));
      assert.equal((await store.jobImages(user.id, 'job-1')).length, 1);
      await assert.rejects(store.append('no-such-user', [{ kind: 'prompt', text: 'x', at: 1 }]), isNotFound('user'));
    }));

    it('appends events and the profile they made together, or neither', withStore(async ({ store }) => {
      const { user } = await userWithJob(store, 'Ada', 'job-1');
      const { user: bob } = await userWithJob(store, 'Bob', 'job-bob');
      const [a] = await store.saveImages([imageOf('job-1', user.id, 1)]);
      const [foreign] = await store.saveImages([imageOf('job-bob', bob.id, 1)]);
      const rating: HistoryEvent = { kind: 'rating', imageId: a!.id, value: 'like', at: 1 };
      await store.append(user.id, [rating], { profile: profileOf(user.id, 0.4) });
      assert.deepEqual(await store.history(user.id), [rating]);
      assert.deepEqual(await store.loadProfile(user.id), profileOf(user.id, 0.4));
      // A bad event fails the profile too; a bad profile fails the events too.
      await assert.rejects(store.append(user.id, [{ kind: 'rating', imageId: foreign!.id, value: 'like', at: 2 }], { profile: profileOf(user.id, 0.9) }), isNotFound('image'));
      await assert.rejects(store.append(user.id, [rating], { profile: { ...profileOf(user.id), vector: [Number.NaN] } }), isInputError('profile.vector'));
      await assert.rejects(store.append(user.id, [rating], { profile: profileOf(bob.id) }), isInputError('profile.userId'));
      assert.deepEqual(await store.history(user.id), [rating]);
      assert.deepEqual(await store.loadProfile(user.id), profileOf(user.id, 0.4));
      assert.equal(await store.loadProfile(bob.id), undefined);
    }));

    it('saves, loads, replaces and deletes a profile', withStore(async ({ store }) => {
      const { user } = await store.createUser('Ada');
      assert.equal(await store.loadProfile(user.id), undefined);
      await store.saveProfile(profileOf(user.id));
      assert.deepEqual(await store.loadProfile(user.id), profileOf(user.id));
      await store.saveProfile(profileOf(user.id, 0));
      assert.deepEqual(await store.loadProfile(user.id), profileOf(user.id, 0));
      await assert.rejects(store.saveProfile({ ...profileOf(user.id), strength: 2 }), isInputError('profile.strength'));
      await assert.rejects(store.saveProfile({ ...profileOf(user.id), vector: [Number.NaN] }), isInputError('profile.vector'));
      await assert.rejects(store.saveProfile(profileOf('no-such-user')), isNotFound('user'));
      assert.deepEqual(await store.loadProfile(user.id), profileOf(user.id, 0));
      await store.deleteProfile(user.id);
      assert.equal(await store.loadProfile(user.id), undefined);
    }));

    it('keeps profile vectors exactly, as float64 at rest', withStore(async ({ store, query }) => {
      const { user } = await store.createUser('Ada');
      const awkward = [0.1 + 0.2, -0, 5e-324, -1.7976931348623157e308, 1 / 3, Math.PI * 1e-12];
      const exact = { ...profileOf(user.id), vector: awkward, attributeVector: awkward.map((x) => -x) };
      await store.saveProfile(exact);
      assert.deepEqual(await store.loadProfile(user.id), exact);
      assert.ok(Object.is((await store.loadProfile(user.id))!.vector[1], -0));
      // At rest the vectors are float64 in base64, not decimal text.
      const [row] = await query('SELECT profile FROM profiles');
      assert.doesNotMatch(String(row!.profile), /0\.30000000000000004/);
    }));

    it('pages the gallery newest first, filtered by rating and prompt text', withStore(async ({ store }) => {
      const { user } = await userWithJob(store, 'Ada', 'job-1');
      const prompts = ['a Red circle', 'a bold tile', 'red 100% stripes', 'a green 1000 star', 'RED_triangle, ÉTÉ'];
      const saved = await store.saveImages(prompts.map((p, i) => imageOf('job-1', user.id, i, p)));
      await store.append(user.id, [{ kind: 'rating', imageId: saved[1]!.id, value: 'like', at: 1 }, { kind: 'rating', imageId: saved[3]!.id, value: 'like', at: 2 }]);
      const ids = (page: { images: { id: string }[] }) => page.images.map((i) => i.id);
      const first = await store.listImages(user.id, { limit: 2 });
      assert.deepEqual(ids(first), [saved[4]!.id, saved[3]!.id]);
      const second = await store.listImages(user.id, { limit: 2, cursor: first.next });
      assert.deepEqual(ids(second), [saved[2]!.id, saved[1]!.id]);
      const last = await store.listImages(user.id, { limit: 2, cursor: second.next });
      assert.deepEqual([ids(last), last.next], [[saved[0]!.id], undefined]);
      assert.deepEqual(ids(await store.listImages(user.id, { rating: 'like' })), [saved[3]!.id, saved[1]!.id]);
      assert.deepEqual(ids(await store.listImages(user.id, { text: 'red' })), [saved[4]!.id, saved[2]!.id, saved[0]!.id]);
      assert.deepEqual(ids(await store.listImages(user.id, { text: '100%' })), [saved[2]!.id]);
      assert.deepEqual(ids(await store.listImages(user.id, { text: 'd_t' })), [saved[4]!.id]);
      assert.deepEqual(ids(await store.listImages(user.id, { text: 'été' })), [saved[4]!.id]);
      await assert.rejects(store.listImages(user.id, { limit: 0 }), isInputError('limit'));
      await assert.rejects(store.listImages(user.id, { cursor: "1' OR 1=1" }), isInputError('cursor'));
    }));

    it('applies its migrations once and keeps data across a reopen', withStore(async ({ store, reopen, query }) => {
      const { user, apiKey } = await store.createUser('Ada');
      const again = await reopen();
      try {
        assert.deepEqual(await again.authenticate(apiKey), user);
        const versions = (await query('SELECT version FROM schema_migrations')).map((r) => Number(r.version));
        assert.deepEqual(versions, [...new Set(versions)]);
        assert.ok(versions.includes(1));
      } finally {
        await again.close();
      }
    }));
  });
}
