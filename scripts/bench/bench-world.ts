// The product as a benchmark drives it: the model pack's diffusion model, embedder and
// personalizer, a real SQLite store and image files in a folder, the feedback loop; plus the
// judge (the pack's separately trained attribute classifier) that reads what an image shows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { AttributeJudge } from '../../adapters/onnx/attribute-judge.ts';
import { DiskImageFiles } from '../../adapters/store/image-files.ts';
import type { SqlStore } from '../../adapters/store/sql-store.ts';
import { openSqliteStore } from '../../adapters/store/sqlite.ts';
import { createPersonalizer, DEFAULT_MODEL_DIR, loadDiffusionModel, loadEmbedder, loadJudge } from '../../adapters/wire.ts';
import { TextToImage } from '../../pipeline/diffusion/text-to-image.ts';
import { FeedbackLoop } from '../../pipeline/feedback.ts';
import type { GenerationDeps } from '../../pipeline/generate-job.ts';
import { mulberry32 } from '../world/prng.ts';
import { render } from '../world/render.ts';
import { randomAttributes } from '../world/sample.ts';
import { vocabulary, type Attributes } from '../world/vocabulary.ts';

export interface BenchWorld {
  readonly deps: GenerationDeps;
  readonly feedback: FeedbackLoop;
  readonly store: SqlStore;
  readonly judge: AttributeJudge;
  readonly model: { readonly name: string; readonly trainedSteps?: number };
  /** The stored images' pixels (decoded from their PNG files) and what the judge reads in them. */
  read(userId: string, imageIds: readonly string[]): Promise<{ id: string; seed: number; pixels: Uint8Array; attrs: Attributes }[]>;
  close(): Promise<void>;
}

export const FAMILY_VALUES: Record<string, readonly string[]> = Object.fromEntries(vocabulary.caption_order.map((f) => [f, vocabulary.families[f]!.values]));

/** Opens everything, with the SQLite database and image files under `dir` (the caller removes it). */
export async function openBenchWorld(o: { dir: string; modelDir?: string; threads?: number }): Promise<BenchWorld> {
  const modelDir = o.modelDir ?? DEFAULT_MODEL_DIR;
  const log = () => {};
  const model = await loadDiffusionModel({ modelDir, device: 'cpu', threads: o.threads, log });
  const embedder = await loadEmbedder({ modelDir: join(modelDir, 'clip'), threads: o.threads, log });
  const judge = await loadJudge(FAMILY_VALUES, modelDir);
  const store = await openSqliteStore(join(o.dir, 'atelier.db'));
  const files = new DiskImageFiles(o.dir);
  const personalizer = createPersonalizer({ modelDir, embedder });
  const deps: GenerationDeps = { backend: new TextToImage(model), images: store, history: store, files, personalizer };
  const feedback = new FeedbackLoop({ history: store, images: store, personalizer });
  const pack = JSON.parse(readFileSync(join(modelDir, 'atelier.json'), 'utf8')) as { trained_steps?: number };
  return {
    deps, feedback, store, judge, model: { name: model.name, trainedSteps: pack.trained_steps },
    async read(userId, imageIds) {
      const images = await Promise.all(imageIds.map(async (id) => {
        const image = await store.getImage(userId, id);
        if (!image) throw new Error(`image ${id} of user ${userId} is not in the store`);
        const png = await files.read(image.file.sha256, 'full');
        const pixels = new Uint8Array(await sharp(png).removeAlpha().raw().toBuffer());
        return { id, seed: image.seed, pixels };
      }));
      const read = images.length ? await judge.classify(images.map((i) => i.pixels)) : [];
      return images.map((im, i) => ({ ...im, attrs: read[i]! }));
    },
    async close() {
      await Promise.all([model.release(), embedder.release(), judge.release()]);
      await store.close();
    },
  };
}

/** The judge's accuracy per family on fresh renders (seeds far from any training set's). */
export async function judgeAccuracy(judge: AttributeJudge, samples: number, seed: number): Promise<Record<string, number>> {
  const r = mulberry32(seed);
  const truth = Array.from({ length: samples }, () => randomAttributes(r));
  const read = await judge.classify(truth.map((a, i) => render(a, 900_000_000 + seed + i)));
  return Object.fromEntries(vocabulary.caption_order.map((f) => [f, truth.filter((t, i) => t[f] === read[i]![f]).length / samples]));
}
