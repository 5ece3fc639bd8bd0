// Inside the belief thread (belief-thread.ts starts it): prefs' online update, in place, on the
// beliefs the main thread shares with it, in the order asked. It blocks in Atomics.wait between
// requests and takes adopt and release messages synchronously (receiveMessageOnPort).
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { updateBeliefInPlace, type GaussianBelief } from '../../prefs/bradley-terry.ts';
import { beliefLength, CONTROL, RING, STATUS, type AdoptMessage, type ReleaseMessage } from './belief-thread.ts';

const { control, port } = workerData as { control: SharedArrayBuffer; port: MessagePort };
const c = new Int32Array(control);
const held = new Map<number, { belief: GaussianBelief; x: Float64Array; params: Float64Array }>();
let received = 0;

function take(m: AdoptMessage | ReleaseMessage): void {
  received++;
  if ('release' in m) return void held.delete(m.release);
  const { id, buffer, dim: d } = m.adopt;
  if (buffer.byteLength !== 8 * beliefLength(d)) return;
  held.set(id, {
    belief: { dim: d, mean: new Float64Array(buffer, 0, d), covariance: new Float64Array(buffer, 8 * d, d * d) },
    x: new Float64Array(buffer, 8 * (d + d * d), d),
    params: new Float64Array(buffer, 8 * (2 * d + d * d), 2),
  });
}

for (let index = 0; ; index++) {
  while (Atomics.load(c, CONTROL.sent) <= index) Atomics.wait(c, CONTROL.sent, index);
  const slot = CONTROL.slots + (index % RING) * CONTROL.slotSize;
  // Messages posted before the request (its belief's adopt): take them in first.
  while (received < Atomics.load(c, slot + 1)) {
    const m = receiveMessageOnPort(port);
    if (m) take(m.message as AdoptMessage | ReleaseMessage);
    else Atomics.wait(c, CONTROL.sent, Atomics.load(c, CONTROL.sent), 1); // in transit: a moment
  }
  const h = held.get(Atomics.load(c, slot));
  let status: number = STATUS.ok;
  if (!h) status = STATUS.unknown;
  else {
    try {
      updateBeliefInPlace(h.belief, { x: h.x, weight: h.params[0]!, target: h.params[1]! });
    } catch {
      status = STATUS.notFinite;
    }
  }
  Atomics.store(c, slot + 2, status);
  Atomics.notify(c, slot + 2);
  Atomics.store(c, CONTROL.done, index + 1);
  Atomics.notify(c, CONTROL.done); // for a sender waiting for a free slot
}
