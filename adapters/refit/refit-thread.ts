// The Refitter port on a worker thread. A full refit is a Newton fit over the user's whole
// history (O(n D^2) a step, D the joint preference space); on the event loop it would stall
// every request for milliseconds. The thread starts at the first refit, and again after a
// crash. It gets one refit at a time: the next is chosen when it answers, so one a request
// waits for (a user's first) goes before the background ones queued meanwhile.
import type { Worker } from 'node:worker_threads';
import type { RefitRequest, Refitter } from '../../pipeline/ports.ts';
import type { WorldVocabularyLike } from '../../prefs/attributes.ts';
import type { PreferenceState } from '../../prefs/profile.ts';
import { startWorker } from './worker-entry.ts';

interface Pending {
  readonly request: RefitRequest;
  readonly resolve: (state: PreferenceState) => void;
  readonly reject: (err: Error) => void;
}

/** A context value: sent once per thread, then named by `ref` (prefs caches per prior object). */
export type Shared = { readonly ref: number; readonly value?: unknown } | undefined;

export interface RefitMessage {
  readonly request: Omit<RefitRequest, 'context'> & { readonly context: Readonly<Record<string, Shared>> };
}

export type RefitReply =
  | { readonly state: PreferenceState }
  | { readonly error: { name: string; message: string; field?: string; accepted?: string } };

export class RefitThread implements Refitter {
  private worker: Worker | undefined;
  /** Waiting to be sent: requests someone waits for, then background ones, each oldest first. */
  private readonly waiting: Pending[][] = [[], []];
  /** The refit the thread is running. */
  private running: Pending | undefined;
  /** Context objects the current thread holds, by ref. */
  private sent = new WeakMap<object, number>();
  private nextRef = 0;
  private closed = false;

  /** `world`: the vocabulary the personalizer's catalog was built from (AttributeCatalog.create). */
  constructor(private readonly options: { world?: WorldVocabularyLike } = {}) {}

  refit(request: RefitRequest): Promise<PreferenceState> {
    if (this.closed) return Promise.reject(new Error('refit thread: closed'));
    return new Promise((resolve, reject) => {
      this.waiting[request.background ? 1 : 0]!.push({ request, resolve, reject });
      this.next();
    });
  }

  /** Sends the next waiting refit, if the thread is free. */
  private next(): void {
    if (this.running || this.closed) return;
    const pending = this.waiting[0]!.shift() ?? this.waiting[1]!.shift();
    if (!pending) return this.worker?.unref();
    const worker = this.worker ?? this.start();
    const { request } = pending;
    const context = Object.fromEntries(Object.entries(request.context).map(([key, value]) => [key, this.share(value)]));
    const message: RefitMessage = { request: { ...request, context } };
    this.running = pending;
    worker.ref(); // a refit in flight keeps the process up
    worker.postMessage(message);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.waiting.flat()) p.reject(new Error('refit thread: closed'));
    this.waiting.forEach((queue) => (queue.length = 0));
    if (!this.worker) return;
    // A terminating worker does not hold the event loop open: without this, the process could
    // end before close() resolves.
    const hold = setInterval(() => {}, 1000);
    try {
      await this.worker.terminate();
    } finally {
      clearInterval(hold);
    }
  }

  private share(value: unknown): Shared {
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null) return { ref: -1, value };
    const known = this.sent.get(value);
    if (known !== undefined) return { ref: known };
    const ref = this.nextRef++;
    this.sent.set(value, ref);
    return { ref, value };
  }

  private start(): Worker {
    const worker = startWorker('refit-worker', { workerData: { world: this.options.world } });
    worker.unref();
    this.sent = new WeakMap();
    worker.on('message', (reply: RefitReply) => {
      const done = this.running;
      this.running = undefined;
      if ('state' in reply) done?.resolve(reply.state);
      else done?.reject(Object.assign(new Error(reply.error.message), reply.error));
      this.next();
    });
    // The refit it was running fails; the waiting ones go to a new thread.
    const fail = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.running?.reject(new Error(`refit thread: ${why}`));
      this.running = undefined;
      this.next();
    };
    worker.on('error', (err: unknown) => fail(err instanceof Error ? err.message : String(err)));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    this.worker = worker;
    return worker;
  }
}
