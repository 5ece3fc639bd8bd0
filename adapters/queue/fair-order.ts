// The fairness policy, as one pure function both adapters use to answer "position in queue".
//
// Policy (adapters/queue/README.md): each user has their own backlog, ordered by priority then
// arrival. Up to `window` jobs per user are admitted to the shared queue. A user's k-th admission
// since they last had nothing waiting gets rank min(k, window - 1), and the shared queue is
// ordered by (priority, rank, admission order). When an admitted job starts, its user's window is
// refilled from the backlog. So a newcomer's first job (rank 0) goes ahead of every waiting job
// of a busy user but their first, one user's batch of 500 delays another user's job by at most
// one job per other waiting user, a user's own jobs keep their order, and the window keeps a
// lone user's jobs flowing to every worker at once.

export interface Queued {
  readonly id: string;
  /** In the shared queue: the effective priority (below). In a backlog: the job's own priority. */
  readonly priority: number;
}

export interface FairSnapshot {
  /** The shared queue in start order. Retried jobs sit here too, beside the admitted ones. */
  readonly ready: readonly Queued[];
  /** Admitted jobs that have not started: job id -> user. */
  readonly admitted: ReadonlyMap<string, string>;
  /** user -> jobs not admitted yet, in the user's own order. */
  readonly backlogs: ReadonlyMap<string, readonly Queued[]>;
  /** user -> admissions since the user last had nothing waiting. */
  readonly streaks: ReadonlyMap<string, number>;
  readonly window: number;
}

/** The shared queue's sort key for a user's k-th admission: priority classes first, then rank. */
export function effectivePriority(priority: number, streak: number, window: number): number {
  return (priority - 1) * window + Math.min(streak, window - 1) + 1;
}

/** Where a newly admitted job goes: after every job of the same or better effective priority. */
function insertionPoint(ready: readonly Queued[], priority: number): number {
  let lo = 0;
  let hi = ready.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ready[mid]!.priority <= priority) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The order jobs would start in if nothing else arrived, simulated with the policy above. Stops
 * early once `until` has been placed.
 */
export function startOrder(snapshot: FairSnapshot, until?: string): string[] {
  const { window } = snapshot;
  const ready = [...snapshot.ready];
  const owner = new Map(snapshot.admitted);
  const count = new Map<string, number>();
  for (const user of owner.values()) count.set(user, (count.get(user) ?? 0) + 1);
  const streaks = new Map(snapshot.streaks);
  const taken = new Map<string, number>();
  const order: string[] = [];
  for (let head = ready.shift(); head; head = ready.shift()) {
    order.push(head.id);
    if (head.id === until) return order;
    const user = owner.get(head.id);
    if (user === undefined) continue;
    owner.delete(head.id);
    let n = count.get(user)! - 1;
    const backlog = snapshot.backlogs.get(user) ?? [];
    let i = taken.get(user) ?? 0;
    for (; n < window && i < backlog.length; n++, i++) {
      const job = backlog[i]!;
      const streak = streaks.get(user) ?? 0;
      streaks.set(user, streak + 1);
      owner.set(job.id, user);
      const priority = effectivePriority(job.priority, streak, window);
      ready.splice(insertionPoint(ready, priority), 0, { id: job.id, priority });
    }
    if (n === 0) streaks.delete(user);
    count.set(user, n);
    taken.set(user, i);
  }
  // A backlog left over here belongs to an admission cut short (a crash being repaired): it
  // comes after everything else.
  for (const [user, backlog] of snapshot.backlogs) {
    for (const job of backlog.slice(taken.get(user) ?? 0)) {
      order.push(job.id);
      if (job.id === until) return order;
    }
  }
  return order;
}

/** Jobs that start before `id`; for a job not in the snapshot (a retry waiting out its backoff), all of them. */
export function positionOf(snapshot: FairSnapshot, id: string): number {
  const order = startOrder(snapshot, id);
  return order[order.length - 1] === id ? order.length - 1 : order.length;
}
