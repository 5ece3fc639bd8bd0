// One lane per user for everything that changes a profile (ratings, choices, edits, resets), in
// order, so two requests of one user never update the same profile state at once (one of the two
// updates would be lost). Ratings and choices that arrive while their user's lane is busy are
// committed together, in one FeedbackLoop.record: one transaction and one profile save for the
// lot (group commit). Each request still answers only once its own event is in the profile. A
// batch the store refuses (one foreign image fails it all) is retried event by event, so only the
// bad event fails. Lanes are per process: in scale-out, one user's requests on two API nodes are
// not ordered against each other.
import type { FeedbackLoop } from '../pipeline/feedback.ts';
import type { HistoryEvent, Profile } from '../prefs/history.ts';

interface Waiter {
  readonly resolve: (profile: Profile) => void;
  readonly reject: (err: unknown) => void;
}

interface Batch {
  readonly events: HistoryEvent[];
  readonly waiters: Waiter[];
}

/** Events per commit; the store takes at most 1000. */
const MAX_BATCH = 100;

export class FeedbackLanes {
  private readonly tails = new Map<string, Promise<void>>();
  /** Per user, the batch waiting for the lane, still taking events. */
  private readonly open = new Map<string, Batch>();

  constructor(private readonly feedback: Pick<FeedbackLoop, 'record'>) {}

  /** Stores the event and resolves with the profile that includes it. */
  record(userId: string, event: HistoryEvent): Promise<Profile> {
    return new Promise((resolve, reject) => {
      const waiting = this.open.get(userId);
      if (waiting && waiting.events.length < MAX_BATCH) {
        waiting.events.push(event);
        waiting.waiters.push({ resolve, reject });
        return;
      }
      const batch: Batch = { events: [event], waiters: [{ resolve, reject }] };
      this.open.set(userId, batch);
      this.enter(userId, async () => {
        // One turn of the event loop first: requests read in the same turn join this batch.
        // (better-sqlite3 is synchronous, so without it a commit never overlaps another request.)
        await new Promise((r) => setImmediate(r));
        if (this.open.get(userId) === batch) this.open.delete(userId);
        await this.commit(userId, batch);
      });
    });
  }

  /** Runs `fn` alone in the user's lane (profile edits and resets). */
  exclusive<T>(userId: string, fn: () => Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => this.enter(userId, () => fn().then(resolve, reject)));
  }

  private enter(userId: string, task: () => Promise<void>): void {
    const next = (this.tails.get(userId) ?? Promise.resolve()).then(task);
    this.tails.set(userId, next);
    void next.finally(() => {
      if (this.tails.get(userId) === next) this.tails.delete(userId);
    });
  }

  private async commit(userId: string, batch: Batch): Promise<void> {
    try {
      const profile = await this.feedback.record(userId, batch.events);
      for (const w of batch.waiters) w.resolve(profile);
    } catch (err) {
      if (batch.events.length === 1) return batch.waiters[0]!.reject(err);
      for (const [i, event] of batch.events.entries()) {
        await this.feedback.record(userId, [event]).then(batch.waiters[i]!.resolve, batch.waiters[i]!.reject);
      }
    }
  }
}
