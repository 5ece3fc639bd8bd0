// Users, jobs, images, history and profiles over any SqlDriver: one implementation of the store
// ports for SQLite and PostgreSQL alike. Every read of user data filters by the caller's user id,
// so another user's record is indistinguishable from a missing one.
import { randomUUID } from 'node:crypto';
import {
  StoreNotFoundError,
  type HistoryStore, type ImageQuery, type ImageStore, type JobRecord, type JobState, type NewImage, type StoredImage, type User, type UserStore,
} from '../../pipeline/ports.ts';
import type { HistoryEvent, ImageFacts, Profile, RatingValue } from '../../prefs/history.ts';
import { hashApiKey, newApiKey, sameHash } from './api-keys.ts';
import { LruCache } from './lru-cache.ts';
import { decodeProfile, encodeProfile } from './profile-codec.ts';
import type { Row, SqlDriver, SqlExecutor } from './sql-driver.ts';
import { check, checkEvent, checkId, checkName, checkNewImage, checkProfile, isId, RATING_VALUES } from './validate.ts';

/** An image row with its latest rating (ratings: one narrow row per rated image). */
const SELECT_IMAGES = 'SELECT seq, id, job_id, user_id, seed, sha256, file_path, thumb_path, bytes, rewritten_prompt, params, profile, scores, embedding, attributes, explanation, ratings.value AS rating, created_at FROM images LEFT JOIN ratings ON ratings.image_id = images.id';

function toRating(text: unknown): RatingValue | undefined {
  if (text === null || text === undefined) return undefined;
  return text === 'like' || text === 'dislike' ? text : (Number(text) as RatingValue);
}

function toImage(r: Row): StoredImage {
  const explanation = r.explanation as string | null;
  const rating = toRating(r.rating);
  return {
    id: r.id as string,
    jobId: r.job_id as string,
    userId: r.user_id as string,
    seed: Number(r.seed),
    file: { sha256: r.sha256 as string, path: r.file_path as string, thumbPath: r.thumb_path as string, bytes: Number(r.bytes) },
    params: JSON.parse(r.params as string),
    rewrittenPrompt: r.rewritten_prompt as string,
    profile: r.profile === null ? null : decodeProfile(r.profile as string),
    scores: JSON.parse(r.scores as string),
    embedding: JSON.parse(r.embedding as string),
    attributes: JSON.parse(r.attributes as string),
    ...(explanation !== null && { explanation }),
    ...(rating !== undefined && { rating }),
    createdAt: Number(r.created_at),
  };
}

/** Only the fields each kind defines, so what is read back is exactly what the history means. */
function canonical(e: HistoryEvent): HistoryEvent {
  switch (e.kind) {
    case 'rating':
      return { kind: e.kind, imageId: e.imageId, value: e.value, ...(e.comment !== undefined && { comment: e.comment }), at: e.at };
    case 'choice':
      return { kind: e.kind, winner: e.winner, loser: e.loser, at: e.at };
    case 'comment':
      return { kind: e.kind, text: e.text, ...(e.imageId !== undefined && { imageId: e.imageId }), at: e.at };
    case 'stated':
      return { kind: e.kind, liked: [...e.liked], disliked: [...e.disliked], at: e.at };
    case 'prompt':
      return { kind: e.kind, text: e.text, at: e.at };
  }
}

/** The images an event points at: [image_id, loser_id] columns. */
function imageRefs(e: HistoryEvent): [string | null, string | null] {
  if (e.kind === 'choice') return [e.winner, e.loser];
  if (e.kind === 'rating') return [e.imageId, null];
  if (e.kind === 'comment') return [e.imageId ?? null, null];
  return [null, null];
}

/**
 * How long a verified API key is taken on trust: a key revoked in the database stops working on
 * every node within this time.
 */
export const KEY_CACHE_TTL_MS = 10_000;

export class SqlStore implements UserStore, ImageStore, HistoryStore {
  /** Verified keys by SHA-256: every request authenticates, and keys seldom change. */
  private readonly keys = new LruCache<string, User>({ maxEntries: 10_000, ttlMs: KEY_CACHE_TTL_MS });
  /** What the profile reads of an image, with its owner: fixed once the image is saved. */
  private readonly facts = new LruCache<string, { userId: string; facts: ImageFacts }>({ maxEntries: 20_000 });

  constructor(private readonly db: SqlDriver) {}

  get dialect(): SqlDriver['dialect'] {
    return this.db.dialect;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private async requireUser(tx: SqlExecutor, userId: string): Promise<void> {
    if ((await tx.all('SELECT 1 FROM users WHERE id = ?', [userId])).length === 0) throw new StoreNotFoundError('user', userId);
  }

  // --- users and keys --------------------------------------------------------------------------

  async createUser(name: string): Promise<{ user: User; apiKey: string }> {
    checkName(name);
    const user: User = { id: randomUUID(), name, createdAt: Date.now() };
    const apiKey = newApiKey();
    await this.db.transaction(async (tx) => {
      await tx.run('INSERT INTO users (id, name, created_at) VALUES (?, ?, ?)', [user.id, user.name, user.createdAt]);
      await tx.run('INSERT INTO api_keys (key_hash, user_id, created_at) VALUES (?, ?, ?)', [hashApiKey(apiKey), user.id, user.createdAt]);
    });
    return { user, apiKey };
  }

  async issueApiKey(userId: string): Promise<string> {
    checkId(userId, 'userId');
    const apiKey = newApiKey();
    await this.db.transaction(async (tx) => {
      await this.requireUser(tx, userId);
      await tx.run('INSERT INTO api_keys (key_hash, user_id, created_at) VALUES (?, ?, ?)', [hashApiKey(apiKey), userId, Date.now()]);
    });
    return apiKey;
  }

  async authenticate(apiKey: string): Promise<User | null> {
    const hash = hashApiKey(apiKey);
    if (!hash) return null;
    const known = this.keys.get(hash);
    if (known) return known;
    const [row] = await this.db.all(
      'SELECT k.key_hash, u.id, u.name, u.created_at FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ? AND k.revoked_at IS NULL',
      [hash],
    );
    if (!row || !sameHash(row.key_hash as string, hash)) return null;
    const user: User = { id: row.id as string, name: row.name as string, createdAt: Number(row.created_at) };
    this.keys.set(hash, user);
    return user;
  }

  // --- jobs and images -------------------------------------------------------------------------

  async createJob(job: { id: string; userId: string; request: Readonly<Record<string, unknown>> }): Promise<void> {
    checkId(job.id, 'id');
    checkId(job.userId, 'userId');
    const request = typeof job.request === 'object' && job.request !== null && !Array.isArray(job.request) ? JSON.stringify(job.request) : undefined;
    check(request !== undefined && request.length <= 100_000, 'request', 'a JSON object of at most 100 kB', job.request);
    await this.db.transaction(async (tx) => {
      await this.requireUser(tx, job.userId);
      await tx.run("INSERT INTO jobs (id, user_id, request, state, created_at) VALUES (?, ?, ?, 'queued', ?) ON CONFLICT (id) DO NOTHING",
        [job.id, job.userId, request, Date.now()]);
      const [owner] = await tx.all('SELECT user_id FROM jobs WHERE id = ?', [job.id]);
      check(owner?.user_id === job.userId, 'id', 'a job id not used by another user', job.id);
    });
  }

  async finishJob(id: string, state: 'completed' | 'failed' | 'cancelled', error?: string): Promise<void> {
    checkId(id, 'id');
    check(['completed', 'failed', 'cancelled'].includes(state), 'state', 'completed, failed or cancelled', state);
    check(error === undefined || (typeof error === 'string' && error.length <= 10_000 && !error.includes('\u0000')), 'error', 'text of at most 10000 characters', error);
    const changed = await this.db.run('UPDATE jobs SET state = ?, error = ?, finished_at = ? WHERE id = ?', [state, error ?? null, Date.now(), id]);
    if (changed === 0) throw new StoreNotFoundError('job', id);
  }

  async failUnfinishedJobs(reason: string): Promise<number> {
    check(typeof reason === 'string' && reason.length > 0 && reason.length <= 10_000, 'reason', 'text of 1 to 10000 characters', reason);
    return this.db.run("UPDATE jobs SET state = 'failed', error = ?, finished_at = ? WHERE state IN ('queued', 'running')", [reason, Date.now()]);
  }

  async getJob(userId: string, id: string): Promise<JobRecord | undefined> {
    if (!isId(userId) || !isId(id)) return undefined;
    const [r] = await this.db.all('SELECT * FROM jobs WHERE id = ? AND user_id = ?', [id, userId]);
    if (!r) return undefined;
    return {
      id: r.id as string, userId: r.user_id as string, request: JSON.parse(r.request as string), state: r.state as JobState,
      ...(r.error !== null && { error: r.error as string }),
      createdAt: Number(r.created_at),
      ...(r.finished_at !== null && { finishedAt: Number(r.finished_at) }),
    };
  }

  async saveImages(images: readonly NewImage[]): Promise<StoredImage[]> {
    check(Array.isArray(images) && images.length <= 64, 'images', 'a list of at most 64 images', images?.length);
    images.forEach((img, i) => checkNewImage(img, `images[${i}]`));
    return this.db.transaction(async (tx) => {
      const saved: StoredImage[] = [];
      for (const img of images) {
        const [job] = await tx.all('SELECT user_id FROM jobs WHERE id = ?', [img.jobId]);
        if (job?.user_id !== img.userId) throw new StoreNotFoundError('job', img.jobId);
        // A retried job (another worker, same seeds) finds its rows already there and gets them back.
        await tx.run(
          `INSERT INTO images (id, job_id, user_id, seed, sha256, file_path, thumb_path, bytes, prompt, prompt_search, rewritten_prompt, params, profile, scores, embedding, attributes, explanation, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, seed) DO NOTHING`,
          [randomUUID(), img.jobId, img.userId, img.seed, img.file.sha256, img.file.path, img.file.thumbPath, img.file.bytes, img.params.prompt,
            img.params.prompt.toLowerCase(), img.rewrittenPrompt, JSON.stringify(img.params), img.profile && encodeProfile(img.profile), JSON.stringify(img.scores),
            JSON.stringify(img.embedding), JSON.stringify(img.attributes), img.explanation ?? null, Date.now()],
        );
        const [row] = await tx.all(`${SELECT_IMAGES} WHERE job_id = ? AND seed = ?`, [img.jobId, img.seed]);
        saved.push(toImage(row!));
      }
      return saved;
    });
  }

  async getImage(userId: string, id: string): Promise<StoredImage | undefined> {
    if (!isId(userId) || !isId(id)) return undefined;
    const [row] = await this.db.all(`${SELECT_IMAGES} WHERE id = ? AND user_id = ?`, [id, userId]);
    return row && toImage(row);
  }

  async listImages(userId: string, query: ImageQuery = {}): Promise<{ images: StoredImage[]; next?: string }> {
    const limit = query.limit ?? 20;
    check(Number.isInteger(limit) && limit >= 1 && limit <= 100, 'limit', 'an integer in 1..100', query.limit);
    check(query.cursor === undefined || /^\d{1,15}$/.test(query.cursor), 'cursor', 'the next cursor of a previous page', query.cursor);
    check(query.rating === undefined || (RATING_VALUES as readonly unknown[]).includes(query.rating), 'rating', "'like', 'dislike' or 1..5", query.rating);
    check(query.text === undefined || (typeof query.text === 'string' && query.text.length <= 500 && !query.text.includes('\u0000')), 'text', 'at most 500 characters', query.text);
    if (!isId(userId)) return { images: [] };
    let sql = `${SELECT_IMAGES} WHERE user_id = ?`;
    const params: unknown[] = [userId];
    if (query.cursor !== undefined) (sql += ' AND seq < ?', params.push(Number(query.cursor)));
    if (query.rating !== undefined) (sql += ' AND ratings.value = ?', params.push(String(query.rating)));
    if (query.text) (sql += " AND prompt_search LIKE ? ESCAPE '\\'", params.push(`%${query.text.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`));
    const rows = await this.db.all(`${sql} ORDER BY seq DESC LIMIT ?`, [...params, limit + 1]);
    const images = rows.slice(0, limit).map(toImage);
    return rows.length > limit ? { images, next: String(rows[limit - 1]!.seq) } : { images };
  }

  async jobImages(userId: string, jobId: string): Promise<StoredImage[]> {
    if (!isId(userId) || !isId(jobId)) return [];
    return (await this.db.all(`${SELECT_IMAGES} WHERE job_id = ? AND user_id = ? ORDER BY seq`, [jobId, userId])).map(toImage);
  }

  // --- history and profiles --------------------------------------------------------------------

  async append(userId: string, events: readonly HistoryEvent[], options: { profile?: Profile } = {}): Promise<void> {
    checkId(userId, 'userId');
    check(Array.isArray(events) && events.length <= 1000, 'events', 'a list of at most 1000 events', events?.length);
    events.forEach((e, i) => checkEvent(e, `events[${i}]`));
    const profile = options.profile && profileRow(options.profile);
    if (profile) check(profile.userId === userId, 'profile.userId', `the user the events are of (${userId})`, profile.userId);
    const rows = events.map(canonical);
    await this.db.transaction(async (tx) => {
      // An image the user owns proves the user exists; a batch naming none asks.
      if (!rows.some((e) => imageRefs(e)[0] !== null)) await this.requireUser(tx, userId);
      for (const e of rows) {
        const [image, loser] = imageRefs(e);
        if (e.kind === 'rating') {
          // The image's latest rating, for the gallery's filter; the insert finds the image only
          // if it is the user's, so it is the ownership check too.
          if ((await tx.run('INSERT INTO ratings (image_id, value, rated_at) SELECT id, ?, ? FROM images WHERE id = ? AND user_id = ? ON CONFLICT (image_id) DO UPDATE SET value = excluded.value, rated_at = excluded.rated_at',
            [String(e.value), e.at, e.imageId, userId])) === 0) {
            throw new StoreNotFoundError('image', e.imageId);
          }
        } else {
          for (const id of [image, loser]) {
            if (id !== null && (await tx.all('SELECT 1 FROM images WHERE id = ? AND user_id = ?', [id, userId])).length === 0) {
              throw new StoreNotFoundError('image', id);
            }
          }
        }
        await tx.run('INSERT INTO history_events (user_id, kind, image_id, loser_id, event, at) VALUES (?, ?, ?, ?, ?, ?)',
          [userId, e.kind, image, loser, JSON.stringify(e), e.at]);
      }
      if (profile) await writeProfile(tx, profile);
    });
  }

  async history(userId: string, options: { limit?: number } = {}): Promise<HistoryEvent[]> {
    const { limit } = options;
    check(limit === undefined || (Number.isInteger(limit) && limit >= 1), 'limit', 'a positive integer', limit);
    if (!isId(userId)) return [];
    const rows = limit === undefined
      ? await this.db.all('SELECT event FROM history_events WHERE user_id = ? ORDER BY seq', [userId])
      : (await this.db.all('SELECT event FROM history_events WHERE user_id = ? ORDER BY seq DESC LIMIT ?', [userId, limit])).reverse();
    return rows.map((r) => JSON.parse(r.event as string) as HistoryEvent);
  }

  async historyUsers(options: { limit?: number } = {}): Promise<string[]> {
    const limit = options.limit ?? 10_000;
    check(Number.isInteger(limit) && limit >= 1, 'limit', 'a positive integer', limit);
    const rows = await this.db.all(
      "SELECT user_id, MAX(seq) AS last FROM history_events WHERE kind IN ('rating', 'choice') GROUP BY user_id ORDER BY last DESC LIMIT ?", [limit]);
    return rows.map((r) => r.user_id as string);
  }

  async imageFacts(userId: string, imageIds: readonly string[]): Promise<ImageFacts[]> {
    check(Array.isArray(imageIds), 'imageIds', 'a list of image ids', imageIds);
    const ids = [...new Set(imageIds.filter(isId))];
    if (!isId(userId) || ids.length === 0) return [];
    const found = new Map<string, ImageFacts>();
    const unknown: string[] = [];
    for (const id of ids) {
      const cached = this.facts.get(id);
      if (!cached) unknown.push(id);
      else if (cached.userId === userId) found.set(id, cached.facts);
    }
    // Chunked: SQLite allows at most 32766 parameters in one statement.
    for (let i = 0; i < unknown.length; i += 500) {
      const chunk = unknown.slice(i, i + 500);
      const rows = await this.db.all(`SELECT id, prompt, embedding, attributes FROM images WHERE user_id = ? AND id IN (${chunk.map(() => '?').join(', ')})`, [userId, ...chunk]);
      for (const r of rows) {
        const facts: ImageFacts = { id: r.id as string, prompt: r.prompt as string, embedding: JSON.parse(r.embedding as string), attributes: JSON.parse(r.attributes as string) };
        found.set(facts.id, facts);
        this.facts.set(facts.id, { userId, facts });
      }
    }
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  async loadProfile(userId: string): Promise<Profile | undefined> {
    if (!isId(userId)) return undefined;
    const [row] = await this.db.all('SELECT profile FROM profiles WHERE user_id = ?', [userId]);
    return row && decodeProfile(row.profile as string);
  }

  async saveProfile(profile: Profile): Promise<void> {
    const row = profileRow(profile);
    await this.db.transaction(async (tx) => {
      await this.requireUser(tx, row.userId);
      await writeProfile(tx, row);
    });
  }

  async deleteProfile(userId: string): Promise<void> {
    if (isId(userId)) await this.db.run('DELETE FROM profiles WHERE user_id = ?', [userId]);
  }
}

/** A profile checked and serialized for the profiles table. */
function profileRow(profile: Profile): { userId: string; json: string } {
  checkProfile(profile);
  return { userId: profile.userId, json: encodeProfile(profile) };
}

async function writeProfile(tx: SqlExecutor, row: { userId: string; json: string }): Promise<void> {
  await tx.run('INSERT INTO profiles (user_id, profile, updated_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at',
    [row.userId, row.json, Date.now()]);
}
