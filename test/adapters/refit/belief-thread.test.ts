// Online updates on the belief thread give exactly what prefs' updateBeliefInPlace gives on this
// one, several users' at once, and fail alike; released beliefs and a stopped thread's fail
// without touching anything.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { BeliefThread, RING } from '../../../adapters/refit/belief-thread.ts';
import { beliefFromPrior, updateBelief, type GaussianBelief, type Observation } from '../../../prefs/bradley-terry.ts';
import { isotropicPrior } from '../../../prefs/prior.ts';
import { mulberry32 } from '../../../scripts/world/prng.ts';

const D = 12;
const thread = new BeliefThread();
after(() => thread.close());

const r = mulberry32(5);
const observation = (): Observation => ({ x: Array.from({ length: D }, () => r() - 0.5), target: r(), weight: 1 });
const copy = (b: GaussianBelief): GaussianBelief => ({ dim: b.dim, mean: Float64Array.from(b.mean), covariance: Float64Array.from(b.covariance) });

test('updates shared beliefs exactly as on this thread, many in flight at once', async () => {
  const start = beliefFromPrior(isotropicPrior(D, 1));
  const users = Array.from({ length: 3 }, () => ({ shared: thread.adopt(start), here: copy(start), obs: Array.from({ length: RING + 6 }, observation) }));
  assert.ok(users.every((u) => thread.holds(u.shared)));
  assert.notEqual(users[0]!.shared.covariance, start.covariance, 'adopt copies');
  // Every update asked for at once (more than the ring holds); each user's run in order.
  await Promise.all(users.flatMap((u) => u.obs.map((o) => thread.update(u.shared, o))));
  for (const u of users) {
    const expected = u.obs.reduce(updateBelief, u.here);
    assert.deepEqual(Float64Array.from(u.shared.mean), expected.mean);
    assert.deepEqual(Float64Array.from(u.shared.covariance), expected.covariance);
  }
  assert.deepEqual(start, beliefFromPrior(isotropicPrior(D, 1)), 'the adopted original is untouched');
});

test('fails an update that would not be finite and leaves the belief as it was, then goes on', async () => {
  const belief = thread.adopt(beliefFromPrior(isotropicPrior(D, 1)));
  const before = copy(belief);
  const bad = { ...observation(), weight: Number.POSITIVE_INFINITY };
  await assert.rejects(thread.update(belief, bad), /non-finite/);
  assert.deepEqual(copy(belief), before);
  await assert.rejects(thread.update(belief, { ...observation(), x: [1, 2] }), /2 dimensions; the belief 12/);
  const o = observation();
  await thread.update(belief, o);
  assert.deepEqual(copy(belief), updateBelief(before, o));
});

test('runs the updates asked for before a release, and refuses those after', async () => {
  const belief = thread.adopt(beliefFromPrior(isotropicPrior(D, 1)));
  const before = copy(belief);
  const o = observation();
  const asked = thread.update(belief, o);
  thread.release(belief);
  assert.equal(thread.holds(belief), false);
  await asked;
  assert.deepEqual(copy(belief), updateBelief(before, o));
  await assert.rejects(thread.update(belief, observation()), /not a belief it holds/);
  await assert.rejects(thread.update(copy(belief), observation()), /not a belief it holds/);
});

test('a stopped thread fails what waits for it; the next adopt starts another', async () => {
  const own = new BeliefThread();
  const belief = own.adopt(beliefFromPrior(isotropicPrior(D, 1)));
  await own.update(belief, observation());
  // The thread dies (as a crash would): its beliefs are no longer held, a new one serves new beliefs.
  await (own as unknown as { thread: { worker: { terminate(): Promise<number> } } }).thread.worker.terminate();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(own.holds(belief), false);
  await assert.rejects(own.update(belief, observation()), /not a belief it holds/);
  const fresh = own.adopt(belief);
  const o = observation();
  const expected = updateBelief(copy(belief), o);
  await own.update(fresh, o);
  assert.deepEqual(copy(fresh), expected);
  await own.close();
  await assert.rejects(own.update(fresh, observation()), /not a belief it holds/);
  assert.throws(() => own.adopt(belief), /closed/);
});
