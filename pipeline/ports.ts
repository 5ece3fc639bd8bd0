// The ports a generation job runs behind: the queue that schedules it and the stores it reads
// and writes. Types only, plus the few error classes that must cross these boundaries, so the
// recipe can throw them without importing an adapter. Adapters live in adapters/queue and
// adapters/store; one conformance suite per port keeps them interchangeable.
import type { ModelDefaults } from './diffusion/model.ts';
import type { GeneratedImage, GenerateOptions, TextToImageRequest, TextToImageResult } from './diffusion/text-to-image.ts';
import { FieldError } from '../prefs/errors.ts';
import type { HistoryEvent, ImageFacts, Profile, RatingValue } from '../prefs/history.ts';
import type { Extraction } from '../prefs/ports.ts';
import type { PreferenceState, ProfileContext } from '../prefs/profile.ts';

// ---------------------------------------------------------------------------------------------
// Job queue. Data and results travel as JSON (BullMQ stores them in Redis).

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface JobProgress {
  readonly step: number;
  readonly total: number;
}

export interface NewJob<D> {
  /** Whose job it is: fairness is per user (adapters/queue/README.md). */
  readonly userId: string;
  readonly data: D;
  /** 1 starts first ... 1000 last, as in BullMQ; default 100. Priority outranks fairness. */
  readonly priority?: number;
}

export interface JobInfo<D, R> {
  readonly id: string;
  readonly userId: string;
  readonly data: D;
  readonly priority: number;
  readonly state: JobState;
  /** Queued jobs only: how many jobs start before this one if nothing else is enqueued. */
  readonly position?: number;
  readonly progress?: JobProgress;
  /** Attempts started so far (retries and stalled restarts included). */
  readonly attempts: number;
  readonly result?: R;
  /** Why it failed or was cancelled. */
  readonly error?: string;
  /** Milliseconds since the epoch. */
  readonly enqueuedAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
}

/** What a processor sees of its job. */
export interface RunningJob<D> {
  readonly id: string;
  readonly userId: string;
  readonly data: D;
  /** 1 on the first try. */
  readonly attempt: number;
  /** Fire and forget, once per denoising step; the adapter publishes it. */
  reportProgress(progress: JobProgress): void;
}

/**
 * Runs one job. The signal aborts when the job is cancelled; pass it to the denoising loop so
 * the job stops at the next step. Throw PermanentJobError for input that will never succeed;
 * any other error is retried with backoff.
 */
export type JobProcessor<D, R> = (job: RunningJob<D>, signal: AbortSignal) => Promise<R>;

export interface WorkOptions<D> {
  readonly concurrency?: number;
  /**
   * A job that failed for good without its processor seeing it end: its workers died while
   * running it more often than the queue allows (BullMQ's stall limit). Whatever the processor
   * records of a job's end is recorded here.
   */
  readonly onLost?: (job: Omit<RunningJob<D>, 'reportProgress'>, error: string) => Promise<void>;
}

export type JobEvent<R> =
  | { readonly type: 'active'; readonly jobId: string }
  | { readonly type: 'progress'; readonly jobId: string; readonly progress: JobProgress }
  | { readonly type: 'completed'; readonly jobId: string; readonly result: R }
  | { readonly type: 'failed'; readonly jobId: string; readonly error: string }
  | { readonly type: 'cancelled'; readonly jobId: string; readonly reason: string };

export interface JobWorker {
  /** Takes no new jobs and waits for the running ones. */
  close(): Promise<void>;
}

export interface JobQueue<D, R> {
  enqueue(job: NewJob<D>): Promise<string>;
  /** All or nothing on bad input; ids in the order given. */
  enqueueBatch(jobs: readonly NewJob<D>[]): Promise<string[]>;
  /** undefined for an unknown job or one whose retention has expired. */
  get(id: string): Promise<JobInfo<D, R> | undefined>;
  /** Cancels a queued or running job; false if it is unknown or already finished. */
  cancel(id: string, reason?: string): Promise<boolean>;
  /** Events of every job from now on, in order per job. Returns the unsubscribe function. */
  subscribe(listener: (event: JobEvent<R>) => void): () => void;
  /** Starts taking jobs in this process. */
  work(processor: JobProcessor<D, R>, options?: WorkOptions<D>): JobWorker;
  close(): Promise<void>;
}

/** A job that can never succeed (bad input): it fails at once, without retries. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

/** Bad enqueue arguments, named by field, with what would be accepted. */
export class JobQueueInputError extends FieldError {
  override readonly name = 'JobQueueInputError';
}

// ---------------------------------------------------------------------------------------------
// Users and API keys. Keys are shown once and kept only as SHA-256 hashes.

export interface User {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
}

export interface UserStore {
  createUser(name: string): Promise<{ user: User; apiKey: string }>;
  /** Another key for the same user, e.g. for rotation. */
  issueApiKey(userId: string): Promise<string>;
  /** null for any key that is not a live key, malformed ones included. */
  authenticate(apiKey: string): Promise<User | null>;
}

// ---------------------------------------------------------------------------------------------
// Images. Every read takes the caller's user id: another user's image reads as absent.

export interface ImageParameters {
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly steps: number;
  readonly guidance: number;
  readonly width: number;
  readonly height: number;
  readonly scheduler: string;
  readonly model: string;
  /** Anything else needed to reproduce it (personalization strength, extra guidance, ...). */
  readonly extras?: Readonly<Record<string, unknown>>;
}

/** A content-addressed file; paths are relative to DATA_DIR. */
export interface StoredFile {
  readonly sha256: string;
  readonly path: string;
  readonly thumbPath: string;
  readonly bytes: number;
}

export interface ImageFiles {
  /** Writes the PNG (carrying its parameters) and a WebP thumbnail; the same pixels give the same file. */
  save(image: GeneratedImage, params: ImageParameters): Promise<StoredFile>;
  read(sha256: string, variant: 'full' | 'thumb'): Promise<Uint8Array>;
}

export interface JobRecord {
  readonly id: string;
  readonly userId: string;
  /** The request as accepted (JSON). */
  readonly request: Readonly<Record<string, unknown>>;
  readonly state: JobState;
  readonly error?: string;
  readonly createdAt: number;
  readonly finishedAt?: number;
}

export interface NewImage {
  readonly jobId: string;
  readonly userId: string;
  readonly seed: number;
  readonly file: StoredFile;
  readonly params: ImageParameters;
  /** The prompt actually encoded, after personalization. */
  readonly rewrittenPrompt: string;
  /** The profile the job used, null when personalization was off. */
  readonly profile: Profile | null;
  /** The reranker's scores for this candidate, by name (e.g. personal, prior, total). */
  readonly scores: Readonly<Record<string, number>>;
  /** L2-normalized image embedding; empty when no embedder ran. */
  readonly embedding: readonly number[];
  readonly attributes: readonly string[];
  /** Why it was kept, in words. */
  readonly explanation?: string;
}

export interface StoredImage extends NewImage {
  readonly id: string;
  /** The latest rating, if any. */
  readonly rating?: RatingValue;
  readonly createdAt: number;
}

export interface ImageQuery {
  /** 1..100, default 20. */
  readonly limit?: number;
  /** The `next` cursor of the previous page. */
  readonly cursor?: string;
  readonly rating?: RatingValue;
  /** Case-insensitive substring of the prompt. */
  readonly text?: string;
}

export interface ImageStore {
  /** Idempotent for the same id and user. */
  createJob(job: { id: string; userId: string; request: Readonly<Record<string, unknown>> }): Promise<void>;
  finishJob(id: string, state: 'completed' | 'failed' | 'cancelled', error?: string): Promise<void>;
  getJob(userId: string, id: string): Promise<JobRecord | undefined>;
  /**
   * Marks every job still queued or running as failed, with the reason; returns how many. For the
   * embedded mode's start: the in-process queue that held them died with the last process.
   */
  failUnfinishedJobs(reason: string): Promise<number>;
  /** All or nothing. One row per (job, seed): a retried job gets back the rows it already wrote. */
  saveImages(images: readonly NewImage[]): Promise<StoredImage[]>;
  getImage(userId: string, id: string): Promise<StoredImage | undefined>;
  /** Newest first. */
  listImages(userId: string, query?: ImageQuery): Promise<{ images: StoredImage[]; next?: string }>;
  jobImages(userId: string, jobId: string): Promise<StoredImage[]>;
}

// ---------------------------------------------------------------------------------------------
// History and profiles: what prefs/ learns from.

export interface HistoryStore {
  /**
   * All or nothing; an event naming an image the user does not own fails with StoreNotFoundError.
   * With a profile (the user's), saves it in the same transaction: the events and the profile
   * they made land together or not at all.
   */
  append(userId: string, events: readonly HistoryEvent[], options?: { profile?: Profile }): Promise<void>;
  /** Oldest first; with a limit, the latest `limit` events. */
  history(userId: string, options?: { limit?: number }): Promise<HistoryEvent[]>;
  /** Users with at least one rating or choice, the most recently active first (for the population prior). */
  historyUsers(options?: { limit?: number }): Promise<string[]>;
  /** Facts of the user's own images among `imageIds`; others are left out. */
  imageFacts(userId: string, imageIds: readonly string[]): Promise<ImageFacts[]>;
  loadProfile(userId: string): Promise<Profile | undefined>;
  saveProfile(profile: Profile): Promise<void>;
  deleteProfile(userId: string): Promise<void>;
}

/** Malformed input to a store, named by field; nothing was written. */
export class StoreInputError extends FieldError {
  override readonly name = 'StoreInputError';
}

/** The record does not exist for this user; the same answer whether it is absent or someone else's. */
export class StoreNotFoundError extends Error {
  override readonly name = 'StoreNotFoundError';
  constructor(
    readonly kind: 'user' | 'job' | 'image',
    readonly id: string,
  ) {
    super(`${kind} ${JSON.stringify(id)} not found`);
  }
}

// ---------------------------------------------------------------------------------------------
// Diffusion backends: the local ONNX runtime (pipeline/diffusion/text-to-image.ts over an
// adapters/onnx model) or a remote service (adapters/huggingface/text-to-image.ts).

export interface DiffusionBackend {
  /** Model name, stored with every image. */
  readonly model: string;
  /** Where it runs: "cpu", "cuda", "webgpu", or "remote:<provider>". */
  readonly provider: string;
  /** Whether prompt embeddings and extra guidance terms reach the model (false over the wire). */
  readonly acceptsEmbeddings: boolean;
  /** The text encoder's token budget and how a text counts against it. */
  readonly maxTokens: number;
  countTokens(text: string): number;
  readonly defaults: ModelDefaults;
  generate(request: TextToImageRequest, options?: GenerateOptions): Promise<TextToImageResult>;
}

// ---------------------------------------------------------------------------------------------
// Full preference refits (prefs/profile.ts's refit) off the event loop: adapters/refit/.

export interface RefitRequest {
  readonly userId: string;
  /** The live history, oldest first. */
  readonly events: readonly HistoryEvent[];
  /** Facts of the images the events name (the user's own). */
  readonly facts: readonly ImageFacts[];
  /** The rest of the profile context (the population priors): plain data. */
  readonly context: Readonly<Omit<ProfileContext, 'images' | 'catalog'>>;
  readonly strength: number;
  /** Keywords of the comments, by text (prefs/profile.ts's extractComments). */
  readonly extractions: ReadonlyMap<string, Extraction>;
  /** Nobody waits for it (a due refit): it yields to those a request waits for (a first use). */
  readonly background?: boolean;
  /** Where Newton starts: the online estimate, near the optimum, for a due refit. */
  readonly start?: readonly number[];
}

/** Runs `refit` with the personalizer's catalog somewhere that does not block the event loop. */
export interface Refitter {
  refit(request: RefitRequest): Promise<PreferenceState>;
  close(): Promise<void>;
}
