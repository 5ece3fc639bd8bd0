// The job recipe and the feedback loop at library level: the bundled pack and embedder, a
// real SQLite store and image files in a temporary folder.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DiskImageFiles } from '../../adapters/store/image-files.ts';
import { openSqliteStore } from '../../adapters/store/sqlite.ts';
import { createPersonalizer, loadDiffusionModel, loadEmbedder } from '../../adapters/wire.ts';
import { TextToImage } from '../../pipeline/diffusion/text-to-image.ts';
import { FeedbackLoop } from '../../pipeline/feedback.ts';
import { runGenerationJob, validateGenerationRequest, type GenerationDeps, type GenerationJobData } from '../../pipeline/generate-job.ts';
import { PermanentJobError, type RunningJob } from '../../pipeline/ports.ts';
import { GenerationInputError } from '../../pipeline/diffusion/errors.ts';

let dir: string;
let deps: GenerationDeps;
let feedback: FeedbackLoop;
let store: Awaited<ReturnType<typeof openSqliteStore>>;
let userId: string;
const cleanup: (() => Promise<unknown>)[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atelier-job-'));
  store = await openSqliteStore(join(dir, 'atelier.db'));
  const model = await loadDiffusionModel({ device: 'cpu', log: () => {} });
  const embedder = await loadEmbedder({ log: () => {} });
  cleanup.push(() => model.release(), () => embedder.release(), () => store.close());
  const personalizer = createPersonalizer({ embedder });
  deps = { backend: new TextToImage(model), images: store, history: store, files: new DiskImageFiles(dir), personalizer };
  feedback = new FeedbackLoop({ history: store, images: store, personalizer });
  userId = (await store.createUser('ada')).user.id;
});
after(async () => {
  for (const c of cleanup) await c();
  await rm(dir, { recursive: true, force: true });
});

let jobs = 0;
function job(data: GenerationJobData, progress: number[] = []): RunningJob<GenerationJobData> {
  return { id: `job-${++jobs}`, userId: data.userId, data, attempt: 1, reportProgress: (p) => progress.push(p.step) };
}

test('a job keeps n of its candidates, stores them with scores and reports every step', async () => {
  const progress: number[] = [];
  const r = await runGenerationJob(job({ userId, request: { prompt: 'a circle', n: 2, candidates: 4, seed: 5, steps: 6 } }, progress), deps, new AbortController().signal);
  assert.equal(r.imageIds.length, 2);
  assert.deepEqual(progress, [1, 2, 3, 4, 5, 6]);
  const image = (await store.getImage(userId, r.imageIds[0]!))!;
  assert.equal(image.scores.of, 4);
  assert.equal(image.scores.rank, 1);
  assert.equal(image.embedding.length, 64);
  assert.ok(image.attributes.length >= 4, 'tagged with the world families');
  assert.ok(image.seed >= 5 && image.seed < 9);
  assert.match(image.explanation!, /Kept as #1 of 4 candidates/);
});

test('bad input fails for good, naming the field', async () => {
  await assert.rejects(runGenerationJob(job({ userId, request: { prompt: 'x', n: 0 } }), deps, new AbortController().signal), (e: Error) => e instanceof PermanentJobError && /^n: /.test(e.message));
  const backend = deps.backend;
  assert.throws(() => validateGenerationRequest({ prompt: Array(40).fill('red').join(' '), n: 1 }, backend), (e: unknown) => e instanceof GenerationInputError && e.field === 'prompt' && /at most 32 tokens/.test(e.message));
  assert.throws(() => validateGenerationRequest({ prompt: 'a', n: 2, candidates: 1 }, backend), /candidates: an integer in n\.\.32/);
  assert.throws(() => validateGenerationRequest({ prompt: 'a', n: 1, colour: 'red' }, backend), /colour: a known field/);
  assert.throws(() => validateGenerationRequest({ prompt: 'a', n: 1, personalization: 2 }, backend), /personalization: a number in 0\.\.1/);
});

test('cancelling a running job stops it and marks it cancelled', async () => {
  const controller = new AbortController();
  const j = job({ userId, request: { prompt: 'a square', n: 1, steps: 30 } });
  const running = runGenerationJob({ ...j, reportProgress: (p) => p.step === 2 && controller.abort('user asked') }, deps, controller.signal);
  await assert.rejects(running, (e: Error) => e.name === 'AbortError');
  assert.equal((await store.getJob(userId, j.id))!.state, 'cancelled');
});

test('feedback: likes of teal and dislikes of white backgrounds shape the next job', async () => {
  // Rate generated images by what the embedder sees in them.
  const r = await runGenerationJob(job({ userId, request: { prompt: 'a circle', n: 8, seed: 100, personalization: 0 } }), deps, new AbortController().signal);
  const imgs = await Promise.all(r.imageIds.map((id) => store.getImage(userId, id)));
  const events = [];
  for (const img of imgs) {
    const bg = img!.attributes.find((a) => a.endsWith('background'));
    if (bg === 'teal background') events.push({ kind: 'rating' as const, imageId: img!.id, value: 'like' as const, at: Date.now() });
    else events.push({ kind: 'rating' as const, imageId: img!.id, value: 'dislike' as const, at: Date.now() });
  }
  await feedback.record(userId, [...events, { kind: 'comment', text: 'I love the teal background, not a fan of white backgrounds', at: Date.now() }]);
  const profile = await feedback.profile(userId);
  const liked = profile.liked.map((w) => w.attribute);
  const disliked = profile.disliked.map((w) => w.attribute);
  assert.ok(liked.includes('teal background'), `liked: ${liked}`);
  assert.ok(disliked.includes('white background'), `disliked: ${disliked}`);
  const next = await runGenerationJob(job({ userId, request: { prompt: 'a square', n: 1, seed: 7 } }), deps, new AbortController().signal);
  assert.match(next.rewrittenPrompt, /teal background/);
  assert.doesNotMatch(next.negativePrompt, /white background/, 'the pack takes dislikes through the rerank, not the negative prompt');
  assert.ok(profile.vector.some((x) => x !== 0), 'the preference vector the rerank uses has moved');
  const off = await runGenerationJob(job({ userId, request: { prompt: 'a square', n: 1, seed: 7, personalization: 0 } }), deps, new AbortController().signal);
  assert.equal(off.rewrittenPrompt, 'a square');
});
