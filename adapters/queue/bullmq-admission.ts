// Fair admission in front of BullMQ (policy: fair-order.ts). BullMQ alone is one queue ordered
// by priority; fairness between users needs per-user backlogs it does not have, so they live in
// Redis keys beside the queue's own, changed only by the Lua scripts below so that several API
// and worker processes can admit at once without a lock.
//
// Keys, under `<prefix>:<queue>:fair:`
//   admitted        hash job id -> "<user> <streak> <admitted at ms>", for admitted jobs not started yet
//   admitted-count  hash user -> how many of the user's jobs are admitted and not started
//   streaks         hash user -> admissions since the user last had nothing waiting (their rank)
//   backlog:<user>  zset of job ids not admitted yet, score priority * 2^32 + arrival
//   users           set of users with a backlog
//   arrivals        counter behind the arrival order
//   spec:<id>       the job as enqueued (JSON), kept until it first starts
import type { Redis } from 'ioredis';
import type { FairSnapshot, Queued } from './fair-order.ts';

/** A job as enqueued: what BullMQ needs to add it, and what `get` shows before it is added. */
export interface JobSpec {
  readonly id: string;
  readonly userId: string;
  readonly data: unknown;
  readonly priority: number;
  readonly enqueuedAt: number;
}

/** A job just admitted, with its user's admission count (its place in the shared queue). */
export interface Admitted {
  readonly spec: JobSpec;
  readonly streak: number;
}

const PRIORITY_SCALE = 2 ** 32;

// Admits the job when its user has no backlog and a free slot; else queues it in the backlog.
// Returns the job's streak number when admitted (the caller then adds it to BullMQ), else -1.
const ENQUEUE = `
redis.call('SET', KEYS[6], ARGV[4])
local n = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if n < tonumber(ARGV[6]) and redis.call('EXISTS', KEYS[3]) == 0 then
  local streak = redis.call('HINCRBY', KEYS[7], ARGV[1], 1) - 1
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[1] .. ' ' .. streak .. ' ' .. ARGV[5])
  redis.call('HSET', KEYS[2], ARGV[1], n + 1)
  return streak
end
local arrival = redis.call('INCR', KEYS[4])
redis.call('ZADD', KEYS[3], tonumber(ARGV[3]) * ${PRIORITY_SCALE} + arrival, ARGV[2])
redis.call('SADD', KEYS[5], ARGV[1])
return -1`;

// A job left the shared queue (it started, or was cancelled while waiting). If it was admitted,
// refills its user's window from the backlog. Returns {cancel flag (KEYS[5]), spec, streak, spec,
// streak, ...}: the flag saves a worker a round trip per job; the caller adds the specs to BullMQ.
const LEAVE = `
redis.call('DEL', ARGV[3] .. ARGV[2])
local out = {redis.call('GET', KEYS[5])}
if redis.call('HDEL', KEYS[1], ARGV[2]) == 0 then return out end
local n = redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
local window = tonumber(ARGV[5])
while n < window do
  local nxt = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
  if not nxt then break end
  redis.call('ZREM', KEYS[3], nxt)
  local streak = redis.call('HINCRBY', KEYS[6], ARGV[1], 1) - 1
  redis.call('HSET', KEYS[1], nxt, ARGV[1] .. ' ' .. streak .. ' ' .. ARGV[4])
  out[#out + 1] = redis.call('GET', ARGV[3] .. nxt)
  out[#out + 1] = streak
  n = n + 1
end
if n > 0 then
  redis.call('HSET', KEYS[2], ARGV[1], n)
else
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[6], ARGV[1])
end
if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SREM', KEYS[4], ARGV[1]) end
return out`;

// Cancels a job still in its user's backlog: it never reaches BullMQ. Leaves the record that
// answers `get` until the retention ends.
const DROP = `
if redis.call('ZREM', KEYS[1], ARGV[2]) == 0 then return 0 end
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
redis.call('DEL', KEYS[3])
redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[4])
return 1`;

type Script = (...args: (string | number)[]) => Promise<unknown>;

export class FairAdmission {
  private readonly base: string;
  private readonly scripts: { leave: Script; drop: Script };

  /** `base` is the queue's own key prefix, e.g. "atelier:generations". */
  constructor(private readonly redis: Redis, base: string, private readonly window: number) {
    this.base = `${base}:fair`;
    const define = (name: string, lua: string, keys: number): Script => {
      const command = `atelier_${name}`;
      if (!(command in redis)) redis.defineCommand(command, { numberOfKeys: keys, lua });
      return (...args) => (redis as unknown as Record<string, Script>)[command]!(...args);
    };
    define('enqueue', ENQUEUE, 7);
    this.scripts = { leave: define('leave', LEAVE, 6), drop: define('drop', DROP, 4) };
  }

  private key(name: string): string {
    return `${this.base}:${name}`;
  }

  specKey(id: string): string {
    return this.key(`spec:${id}`);
  }

  /** The streak number of each job admitted at once (add those to BullMQ now); -1 for those backlogged. */
  async enqueue(specs: readonly JobSpec[]): Promise<number[]> {
    const now = Date.now();
    // One pipeline keeps a batch of 500 to one round trip and, being ordered, a user's jobs in order.
    const pipeline = this.redis.pipeline() as unknown as Record<string, (...args: (string | number)[]) => void> & { exec(): Promise<[Error | null, unknown][] | null> };
    for (const s of specs) {
      const keys = [this.key('admitted'), this.key('admitted-count'), this.key(`backlog:${s.userId}`), this.key('arrivals'), this.key('users'), this.specKey(s.id), this.key('streaks')];
      pipeline.atelier_enqueue!(...keys, s.userId, s.id, s.priority, JSON.stringify(s), now, this.window);
    }
    return ((await pipeline.exec()) ?? []).map(([err, rank]) => {
      if (err) throw err;
      return Number(rank);
    });
  }

  /**
   * The job started or was removed while waiting. Returns the jobs this admitted (the caller adds
   * them to BullMQ) and what is stored at `flagKey` (the job's cancel flag).
   */
  async leave(userId: string, id: string, flagKey: string): Promise<{ admitted: Admitted[]; flag?: string }> {
    const keys = [this.key('admitted'), this.key('admitted-count'), this.key(`backlog:${userId}`), this.key('users'), flagKey, this.key('streaks')];
    const [flag, ...rest] = (await this.scripts.leave(...keys, userId, id, this.key('spec:'), Date.now(), this.window)) as (string | number | null)[];
    const admitted: Admitted[] = [];
    for (let i = 0; i < rest.length; i += 2) {
      if (rest[i]) admitted.push({ spec: JSON.parse(rest[i] as string) as JobSpec, streak: Number(rest[i + 1]) });
    }
    return { admitted, ...(flag && { flag: flag as string }) };
  }

  /** Removes a job from its user's backlog, leaving `record` at `recordKey`; false if it was not there. */
  async drop(spec: JobSpec, recordKey: string, record: string, retentionMs: number): Promise<boolean> {
    const keys = [this.key(`backlog:${spec.userId}`), this.key('users'), this.specKey(spec.id), recordKey];
    return (await this.scripts.drop(...keys, spec.userId, spec.id, record, retentionMs)) === 1;
  }

  async spec(id: string): Promise<JobSpec | undefined> {
    const json = await this.redis.get(this.specKey(id));
    return json ? (JSON.parse(json) as JobSpec) : undefined;
  }

  /** Admitted jobs older than `ms` that have not started: candidates for repair after a crash. */
  async staleAdmissions(ms: number): Promise<Admitted[]> {
    const admitted = await this.redis.hgetall(this.key('admitted'));
    const stale: Admitted[] = [];
    for (const [id, value] of Object.entries(admitted)) {
      const [, streak, at] = value.split(' ');
      if (Date.now() - Number(at) < ms) continue;
      const spec = await this.spec(id);
      if (spec) stale.push({ spec, streak: Number(streak) });
    }
    return stale;
  }

  /** The admission state, with `ready` (BullMQ's own queue, in start order) supplied by the caller. */
  async snapshot(ready: readonly Queued[]): Promise<FairSnapshot> {
    const [admitted, users, streaks] = await Promise.all([
      this.redis.hgetall(this.key('admitted')), this.redis.smembers(this.key('users')), this.redis.hgetall(this.key('streaks')),
    ]);
    const pipeline = this.redis.pipeline();
    for (const user of users) pipeline.zrange(this.key(`backlog:${user}`), '0', '-1', 'WITHSCORES');
    const replies = (await pipeline.exec()) ?? [];
    const backlogs = new Map<string, Queued[]>();
    users.forEach((user, i) => {
      const flat = (replies[i]?.[1] ?? []) as string[];
      const jobs: Queued[] = [];
      for (let j = 0; j < flat.length; j += 2) jobs.push({ id: flat[j]!, priority: Math.floor(Number(flat[j + 1]) / PRIORITY_SCALE) });
      backlogs.set(user, jobs);
    });
    const owners = new Map(Object.entries(admitted).map(([id, value]) => [id, value.split(' ')[0]!]));
    return { ready, admitted: owners, backlogs, streaks: new Map(Object.entries(streaks).map(([u, n]) => [u, Number(n)])), window: this.window };
  }
}
