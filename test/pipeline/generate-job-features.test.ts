// GenerationDeps.features, the ablation switches: each part of personalization can be turned
// off alone, and with all three off a personalized job makes exactly the base image.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { DiskImageFiles } from '../../adapters/store/image-files.ts';
import { openSqliteStore } from '../../adapters/store/sqlite.ts';
import { createPersonalizer, loadDiffusionModel, loadEmbedder } from '../../adapters/wire.ts';
import { TextToImage } from '../../pipeline/diffusion/text-to-image.ts';
import { FeedbackLoop } from '../../pipeline/feedback.ts';
import { runGenerationJob, type GenerationDeps, type GenerationRequest } from '../../pipeline/generate-job.ts';

let dir: string;
let deps: GenerationDeps;
let store: Awaited<ReturnType<typeof openSqliteStore>>;
let userId: string;
const cleanup: (() => Promise<unknown>)[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atelier-features-'));
  store = await openSqliteStore(join(dir, 'atelier.db'));
  const model = await loadDiffusionModel({ device: 'cpu', log: () => {} });
  const embedder = await loadEmbedder({ log: () => {} });
  cleanup.push(() => model.release(), () => embedder.release(), () => store.close());
  const personalizer = createPersonalizer({ embedder });
  deps = { backend: new TextToImage(model), images: store, history: store, files: new DiskImageFiles(dir), personalizer };
  userId = (await store.createUser('grace')).user.id;
  // A stated taste: the rewrite and the guidance terms have something to add.
  await new FeedbackLoop({ history: store, images: store, personalizer }).record(userId, [{ kind: 'stated', liked: ['teal background', 'red'], disliked: ['white background'], at: Date.now() }]);
});
after(async () => {
  for (const c of cleanup) await c();
  await rm(dir, { recursive: true, force: true });
});

let jobs = 0;
async function run(request: GenerationRequest, features?: GenerationDeps['features']) {
  const job = { id: `features-${++jobs}`, userId, data: { userId, request }, attempt: 1, reportProgress: () => {} };
  const result = await runGenerationJob(job, { ...deps, features }, new AbortController().signal);
  const images = await Promise.all(result.imageIds.map((id) => store.getImage(userId, id)));
  return { result, images: images.map((im) => im!) };
}

const request = { prompt: 'a circle', n: 1, candidates: 3, seed: 40, steps: 4 };

test('all parts on by default: the prompt is rewritten and guidance terms are stored', async () => {
  const { result, images } = await run(request);
  assert.match(result.rewrittenPrompt, /teal background/);
  // The bundled pack takes dislikes through the rerank (atelier.json: bNeg 0, no negative prompt).
  assert.equal(result.negativePrompt, '');
  // Both liked attributes are already written into the prompt, so no liked term repeats them,
  // and the pack takes no disliked term: the stored terms say so.
  assert.deepEqual(images[0]!.params.extras!.guidanceTerms, []);
});

test('rewrite off: the prompt is as typed, the guidance terms still carry the taste', async () => {
  const { result, images } = await run(request, { rewrite: false });
  assert.equal(result.rewrittenPrompt, 'a circle');
  assert.equal(result.negativePrompt, '');
  const terms = images[0]!.params.extras!.guidanceTerms as { condition: { text: string }; weight: number }[];
  assert.ok(terms.some((t) => t.weight > 0 && /teal background/.test(t.condition.text)), JSON.stringify(terms));
});

test('guidance off: no terms; rerank off: the first seed is kept', async () => {
  const { images } = await run(request, { guidance: false, rerank: false });
  assert.deepEqual(images[0]!.params.extras!.guidanceTerms, []);
  assert.equal(images[0]!.seed, 40);
  assert.equal(images[0]!.scores.rank, 1);
});

test('all parts off: the same pixels as personalization 0 from the same seed', async () => {
  const off = await run(request, { rewrite: false, guidance: false, rerank: false });
  const base = await run({ ...request, candidates: 1, personalization: 0 });
  const on = await run(request);
  const pixels = async (im: { file: { sha256: string } }) => sharp(await deps.files.read(im.file.sha256, 'full')).raw().toBuffer();
  assert.equal(off.result.rewrittenPrompt, 'a circle');
  assert.equal(off.images[0]!.seed, base.images[0]!.seed);
  assert.ok((await pixels(off.images[0]!)).equals(await pixels(base.images[0]!)));
  assert.ok(!(await pixels(on.images[0]!)).equals(await pixels(base.images[0]!)), 'and personalization changes them');
});
