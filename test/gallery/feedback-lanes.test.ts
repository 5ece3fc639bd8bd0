// Per-user lanes for profile changes: one user's events are committed in order and never two at
// once (so no update is lost), those arriving together are committed together, a bad event
// fails alone, and different users do not wait for each other.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FeedbackLanes } from '../../gallery/feedback-lanes.ts';
import type { HistoryEvent, Profile } from '../../prefs/history.ts';
import { startHarness } from './harness.ts';

const rating = (imageId: string): HistoryEvent => ({ kind: 'rating', imageId, value: 'like', at: 1 });
const profile = (evidence: number): Profile => ({ userId: 'u', liked: [], disliked: [], vector: [], strength: 1, evidence, updatedAt: new Date(0).toISOString() });

/** A FeedbackLoop stand-in that records its calls, takes `delayMs` each, and refuses image "bad". */
function fakeLoop(delayMs = 5) {
  const calls: { userId: string; ids: string[] }[] = [];
  let inFlight = new Map<string, number>();
  let maxPerUser = 0;
  let maxOverall = 0;
  let total = 0;
  return {
    calls,
    get maxPerUser() { return maxPerUser; },
    get maxOverall() { return maxOverall; },
    async record(userId: string, events: readonly HistoryEvent[]): Promise<Profile> {
      inFlight.set(userId, (inFlight.get(userId) ?? 0) + 1);
      maxPerUser = Math.max(maxPerUser, inFlight.get(userId)!);
      maxOverall = Math.max(maxOverall, [...inFlight.values()].reduce((a, b) => a + b, 0));
      try {
        await new Promise((r) => setTimeout(r, delayMs));
        calls.push({ userId, ids: events.map((e) => (e as { imageId: string }).imageId) });
        if (events.some((e) => (e as { imageId: string }).imageId === 'bad')) throw new Error('image "bad" not found');
        total += events.length;
        return profile(total);
      } finally {
        inFlight.set(userId, inFlight.get(userId)! - 1);
      }
    },
    reset() {
      calls.length = 0;
      inFlight = new Map();
    },
  };
}

describe('FeedbackLanes', () => {
  it("commits a user's concurrent events together, in order, one commit at a time", async () => {
    const loop = fakeLoop();
    const lanes = new FeedbackLanes(loop);
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((id) => lanes.record('u1', rating(id))));
    assert.deepEqual(loop.calls, [{ userId: 'u1', ids: ['a', 'b', 'c', 'd'] }]);
    assert.ok(results.every((p) => p.evidence === 4), 'each answer includes its own event');
    // Arriving while a commit runs: they wait for it, then go together.
    const first = lanes.record('u1', rating('e'));
    await new Promise((r) => setTimeout(r, 1));
    const later = ['f', 'g'].map((id) => lanes.record('u1', rating(id)));
    await Promise.all([first, ...later]);
    assert.deepEqual(loop.calls.slice(1).map((c) => c.ids), [['e'], ['f', 'g']]);
    assert.equal(loop.maxPerUser, 1);
  });

  it('fails only the bad event of a batch', async () => {
    const loop = fakeLoop(1);
    const lanes = new FeedbackLanes(loop);
    const settled = await Promise.allSettled(['a', 'bad', 'c'].map((id) => lanes.record('u1', rating(id))));
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(loop.calls.map((c) => c.ids), [['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('runs exclusive work in order with the records, and lets other users through', async () => {
    const loop = fakeLoop(10);
    const lanes = new FeedbackLanes(loop);
    const order: string[] = [];
    await Promise.all([
      lanes.record('u1', rating('a')).then(() => order.push('a')),
      lanes.exclusive('u1', async () => order.push('edit')),
      lanes.record('u2', rating('x')).then(() => order.push('x')),
    ]);
    assert.deepEqual(order.filter((o) => o !== 'x'), ['a', 'edit']);
    assert.equal(loop.maxOverall, 2, 'two users commit at the same time');
  });

  it('loses no rating when one user sends many at once through the API', async () => {
    const h = await startHarness();
    try {
      const user = await h.createUser();
      const images = await h.seedImages(user.id, 8);
      // Warm the profile first: a cold profile counts its first event twice (reported upstream).
      await h.app.inject({ method: 'GET', url: '/v1/profile', headers: user.auth });
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => h.app.inject({
        method: 'POST', url: `/v1/images/${images[i % 8]!.id}/rating`, headers: user.auth, payload: { value: (i % 5) + 1 },
      })));
      assert.ok(answers.every((a) => a.statusCode === 200));
      assert.equal((await h.app.inject({ method: 'GET', url: '/v1/profile', headers: user.auth })).json().evidence, 40);
      assert.equal((await h.services.store.history(user.id)).length, 40);
    } finally {
      await h.close();
    }
  });
});
