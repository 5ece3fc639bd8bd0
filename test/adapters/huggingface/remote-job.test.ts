// A generation job on the remote backend, end to end: the rewritten prompt goes over HTTP to a
// fake Inference API on 127.0.0.1, the candidates are reranked by the local embedder, and the
// kept images are stored with the same embedded metadata as local ones.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readImageMetadata } from '../../../adapters/files/image-encoder.ts';
import { DiskImageFiles } from '../../../adapters/store/image-files.ts';
import { openSqliteStore } from '../../../adapters/store/sqlite.ts';
import { createPersonalizer, loadEmbedder, remoteBackendFromEnv } from '../../../adapters/wire.ts';
import { runGenerationJob, type GenerationDeps } from '../../../pipeline/generate-job.ts';
import { startFakeInferenceApi } from '../../support/fake-inference-api.ts';

let dir: string;
let api: Awaited<ReturnType<typeof startFakeInferenceApi>>;
let deps: GenerationDeps;
let store: Awaited<ReturnType<typeof openSqliteStore>>;
const cleanup: (() => Promise<unknown>)[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atelier-remote-job-'));
  api = await startFakeInferenceApi();
  store = await openSqliteStore(join(dir, 'atelier.db'));
  const embedder = await loadEmbedder({ log: () => {} });
  cleanup.push(() => embedder.release(), () => store.close(), () => api.close());
  const backend = remoteBackendFromEnv({ ATELIER_BACKEND: 'huggingface', HF_MODEL: 'tiny-sd', HF_ENDPOINT_URL: `${api.base}/models/tiny-sd`, HF_SIZE: '64x64', HF_STEPS: '20' }, () => {})!;
  deps = { backend, images: store, history: store, files: new DiskImageFiles(dir), personalizer: createPersonalizer({ embedder }) };
});
after(async () => {
  for (const c of cleanup) await c();
  await rm(dir, { recursive: true, force: true });
});

test('a remote job keeps n of its candidates, with A1111 metadata and an explanation that says what could not be sent', async () => {
  const userId = (await store.createUser('remote')).user.id;
  api.queue.push({ image: 'png' }, { image: 'jpeg' }, { image: 'png', scale: 2 });
  const progress: string[] = [];
  const job = { id: 'remote-1', userId, attempt: 1, data: { userId, request: { prompt: 'a teal circle', negativePrompt: 'blurry', n: 2, candidates: 3, seed: 40 } }, reportProgress: (p: { step: number; total: number }) => progress.push(`${p.step}/${p.total}`) };
  const result = await runGenerationJob(job, deps, new AbortController().signal);
  assert.deepEqual(progress, ['1/3', '2/3', '3/3']);
  assert.deepEqual(api.seen.map((s) => s.body.parameters.seed), [40, 41, 42]);
  assert.ok(api.seen.every((s) => s.body.inputs === result.rewrittenPrompt && s.body.parameters.num_inference_steps === 20));
  assert.match(result.explanation, /Conditioning embeddings cannot reach a remote model/);
  assert.equal(result.imageIds.length, 2);
  const image = (await store.getImage(userId, result.imageIds[0]!))!;
  assert.equal(image.params.model, 'tiny-sd');
  assert.equal(image.scores.of, 3);
  assert.equal(image.embedding.length, 64);
  const meta = await readImageMetadata(await readFile(join(dir, image.file.path)));
  assert.match(meta.parameters!, new RegExp(`^a teal circle\\nNegative prompt: blurry\\nSteps: 20, Sampler: provider-default, CFG scale: 7.5, Seed: ${image.seed}, Size: 64x64, Model: tiny-sd`));
});
