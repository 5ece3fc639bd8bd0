// The BeliefUpdater port on a worker thread: an online update (a rating's or a choice's fold,
// O(D^2): 50 us at the pack's D = 156, 1.5 ms at CLIP ViT-B's 604) off the event loop. Each
// adopted belief lives in a SharedArrayBuffer the thread also holds, so an update moves no
// matrix: the observation is written beside the belief and the belief's id into a ring of
// requests in a shared control block (Atomics); the thread, blocked in Atomics.wait, takes
// them in order and counts them done. Several users' updates are in flight at once; one
// belief's run one after another. The thread starts at the first adopt, and again after a
// crash; beliefs adopted by a stopped thread are no longer held (their updates reject, and the
// personalizer refits the user from the store).
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { BeliefUpdater } from '../../pipeline/ports.ts';
import type { GaussianBelief, Observation } from '../../prefs/bradley-terry.ts';
import { startWorker } from './worker-entry.ts';

/** Requests in flight at most; past it an update waits for a free slot. */
export const RING = 64;
/**
 * Int32 slots of the control block: requests sent, requests done, then per ring slot the
 * belief's id, the messages posted before the request (the adopt must be taken in first) and
 * the answer (PENDING until the thread writes it; each request waits on its own answer).
 */
export const CONTROL = { sent: 0, done: 1, slots: 2, slotSize: 3, size: 2 + 3 * RING } as const;
/** What the thread answers for a request. */
export const STATUS = { pending: -1, ok: 0, notFinite: 1, unknown: 2 } as const;

/** A belief's buffer: mean (D), covariance (D x D), then the observation: x (D), weight, target. */
export const beliefLength = (d: number) => d + d * d + d + 2;

export interface AdoptMessage { readonly adopt: { readonly id: number; readonly buffer: SharedArrayBuffer; readonly dim: number } }
export interface ReleaseMessage { readonly release: number }

interface Thread {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly control: Int32Array;
  posted: number;
  sent: number;
}

interface Handle {
  readonly id: number;
  readonly thread: Thread;
  readonly x: Float64Array;
  /** Weight and target. */
  readonly params: Float64Array;
  /** The belief's last update: the next waits for it. */
  last: Promise<unknown>;
}

export class BeliefThread implements BeliefUpdater {
  private thread: Thread | undefined;
  private readonly handles = new WeakMap<GaussianBelief, Handle>();
  private nextId = 1;
  /** Updates waiting for their answer, to fail if the thread stops. */
  private readonly waiting = new Set<(err: Error) => void>();
  private closed = false;

  adopt(belief: GaussianBelief): GaussianBelief {
    if (this.closed) throw new Error('belief thread: closed');
    const d = belief.dim;
    const buffer = new SharedArrayBuffer(8 * beliefLength(d));
    const mean = new Float64Array(buffer, 0, d);
    const covariance = new Float64Array(buffer, 8 * d, d * d);
    mean.set(belief.mean);
    covariance.set(belief.covariance);
    const adopted: GaussianBelief = { dim: d, mean, covariance };
    const thread = this.thread ?? this.start();
    const id = this.nextId++;
    thread.port.postMessage({ adopt: { id, buffer, dim: d } } satisfies AdoptMessage);
    thread.posted++;
    this.handles.set(adopted, {
      id, thread, last: Promise.resolve(),
      x: new Float64Array(buffer, 8 * (d + d * d), d), params: new Float64Array(buffer, 8 * (2 * d + d * d), 2),
    });
    return adopted;
  }

  holds(belief: GaussianBelief): boolean {
    const h = this.handles.get(belief);
    return h !== undefined && h.thread === this.thread;
  }

  update(belief: GaussianBelief, o: Observation): Promise<void> {
    const h = this.handles.get(belief);
    if (!h || h.thread !== this.thread) return Promise.reject(new Error('belief thread: not a belief it holds (released, or adopted by a thread that has stopped)'));
    if (o.x.length !== belief.dim) return Promise.reject(new RangeError(`observation has ${o.x.length} dimensions; the belief ${belief.dim}`));
    const run = h.last.then(() => this.send(h, o));
    h.last = run.catch(() => {});
    return run;
  }

  /** Updates already asked for still run; later ones reject. */
  release(belief: GaussianBelief): void {
    const h = this.handles.get(belief);
    if (!h) return;
    this.handles.delete(belief);
    void h.last.then(() => {
      if (h.thread !== this.thread) return;
      h.thread.port.postMessage({ release: h.id } satisfies ReleaseMessage);
      h.thread.posted++;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const thread = this.thread;
    this.stopped(new Error('belief thread: closed'));
    if (!thread) return;
    thread.port.close();
    const hold = setInterval(() => {}, 1000); // a terminating worker does not hold the loop open
    try {
      await thread.worker.terminate();
    } finally {
      clearInterval(hold);
    }
  }

  private async send(h: Handle, o: Observation): Promise<void> {
    const t = h.thread;
    const c = t.control;
    while (t === this.thread && t.sent - Atomics.load(c, CONTROL.done) >= RING) await this.answered(t, CONTROL.done, Atomics.load(c, CONTROL.done));
    if (t !== this.thread) throw new Error('belief thread: the thread that held this belief has stopped');
    h.x.set(o.x);
    h.params[0] = o.weight;
    h.params[1] = o.target;
    const index = t.sent++;
    const slot = CONTROL.slots + (index % RING) * CONTROL.slotSize;
    Atomics.store(c, slot, h.id);
    Atomics.store(c, slot + 1, t.posted);
    Atomics.store(c, slot + 2, STATUS.pending);
    Atomics.store(c, CONTROL.sent, t.sent);
    Atomics.notify(c, CONTROL.sent);
    await this.answered(t, slot + 2, STATUS.pending);
    const status = Atomics.load(c, slot + 2);
    if (status === STATUS.notFinite) throw new Error('online update produced non-finite values; the belief was left as it was');
    if (status !== STATUS.ok) throw new Error('belief thread: not a belief it holds');
  }

  /** Resolves when control[index] is no longer `value`; rejects if the thread stops first. */
  private answered(t: Thread, index: number, value: number): Promise<void> {
    if (t !== this.thread) return Promise.reject(new Error('belief thread: the thread that held this belief has stopped'));
    const wait = Atomics.waitAsync(t.control, index, value);
    if (!wait.async) return Promise.resolve();
    t.worker.ref(); // an update in flight keeps the process up
    return new Promise<void>((resolve, reject) => {
      this.waiting.add(reject);
      void wait.value.then(() => {
        this.waiting.delete(reject);
        if (this.waiting.size === 0) t.worker.unref();
        resolve();
      });
    });
  }

  private start(): Thread {
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL.size));
    const { port1, port2 } = new MessageChannel();
    const worker = startWorker('belief-worker', { workerData: { control: control.buffer, port: port2 }, transferList: [port2] });
    worker.unref();
    port1.unref();
    const thread: Thread = { worker, port: port1, control, posted: 0, sent: 0 };
    const fail = (why: string) => {
      if (this.thread === thread) this.stopped(new Error(`belief thread: ${why}`));
    };
    worker.on('error', (err: unknown) => fail(err instanceof Error ? err.message : String(err)));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    this.thread = thread;
    return thread;
  }

  /** The thread is gone: updates waiting for it fail, and its beliefs are no longer held. */
  private stopped(err: Error): void {
    this.thread = undefined;
    for (const reject of this.waiting) reject(err);
    this.waiting.clear();
  }
}
