// Inside the refit thread (refit-thread.ts starts it): prefs' full refit, one request at a time,
// with a catalog built from the same world vocabulary as the personalizer's.
import { parentPort, workerData } from 'node:worker_threads';
import { AttributeCatalog, type WorldVocabularyLike } from '../../prefs/attributes.ts';
import { refit, type ProfileContext } from '../../prefs/profile.ts';
import type { RefitMessage, RefitReply, Shared } from './refit-thread.ts';

const port = parentPort!;
const catalog = AttributeCatalog.create({ world: (workerData as { world?: WorldVocabularyLike }).world });
/** Context objects by ref: the same prior object for every refit, as on the main thread. */
const shared = new Map<number, unknown>();

function resolve(s: Shared): unknown {
  if (s === undefined) return undefined;
  if (s.ref >= 0 && 'value' in s) shared.set(s.ref, s.value);
  return 'value' in s ? s.value : shared.get(s.ref);
}

port.on('message', ({ request }: RefitMessage) => {
  let reply: RefitReply;
  try {
    const facts = new Map(request.facts.map((f) => [f.id, f]));
    const context = Object.fromEntries(Object.entries(request.context).map(([key, s]) => [key, resolve(s)]));
    const ctx = { ...context, catalog, images: (imageId: string) => facts.get(imageId) } as ProfileContext;
    reply = { state: refit(request.userId, request.events, ctx, { strength: request.strength, extractions: request.extractions, start: request.start }).state };
  } catch (err) {
    const { name, message, field, accepted } = err as Error & { field?: string; accepted?: string };
    reply = { error: { name, message, field, accepted } };
  }
  port.postMessage(reply);
});
