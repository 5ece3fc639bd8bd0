// The one place that builds the house's parts from configuration.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Personalizer } from '../pipeline/personalizer.ts';
import { AttributeCatalog, type WorldVocabularyLike } from '../prefs/attributes.ts';
import { LocalAttributeExtractor } from '../prefs/local-extractor.ts';
import type { AttributeExtractor, Embedder } from '../prefs/ports.ts';
import { isotropicPrior, priorFromJson } from '../prefs/prior.ts';
import { AttributeJudge } from './onnx/attribute-judge.ts';
import { ClipEmbedder } from './onnx/clip-embedder.ts';
import { OnnxSdModel } from './onnx/sd-model.ts';
import { parseDevice } from './onnx/providers.ts';
import type { DiffusionModel } from '../pipeline/diffusion/model.ts';

export const DEFAULT_MODEL_DIR = resolve(import.meta.dirname, '..', 'models', 'atelier-tiny');

export interface ModelConfig {
  modelDir?: string;
  device?: string;
  threads?: number;
  log?: (line: string) => void;
}

export function loadDiffusionModel(config: ModelConfig = {}): Promise<DiffusionModel> {
  return OnnxSdModel.load(config.modelDir ?? DEFAULT_MODEL_DIR, {
    device: parseDevice(config.device ?? 'auto'),
    threads: config.threads,
    log: config.log ?? ((line) => console.error(line)),
  });
}

export const DEFAULT_EMBEDDER_DIR = resolve(DEFAULT_MODEL_DIR, 'clip');

export function loadEmbedder(config: ModelConfig = {}): Promise<ClipEmbedder> {
  return ClipEmbedder.load(config.modelDir ?? DEFAULT_EMBEDDER_DIR, {
    device: parseDevice(config.device ?? 'cpu'),
    threads: config.threads,
    log: config.log ?? ((line) => console.error(line)),
  });
}

export function loadJudge(values: Record<string, readonly string[]>, modelDir = DEFAULT_MODEL_DIR): Promise<AttributeJudge> {
  return AttributeJudge.load(resolve(modelDir, 'judge'), values);
}

/** The attribute vocabulary a pack ships (vocabulary.json beside model_index.json), if any. */
export function packVocabulary(modelDir = DEFAULT_MODEL_DIR): WorldVocabularyLike | undefined {
  const path = resolve(modelDir, 'vocabulary.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as WorldVocabularyLike) : undefined;
}

export interface PersonalizerConfig {
  modelDir?: string;
  embedder: Embedder;
  extractor?: AttributeExtractor;
  /** A population prior fitted from many users (priorToJson); isotropic around zero without one. */
  priorPath?: string;
}

export function createPersonalizer(config: PersonalizerConfig): Personalizer {
  const modelDir = config.modelDir ?? DEFAULT_MODEL_DIR;
  const catalog = AttributeCatalog.create({ world: packVocabulary(modelDir) });
  const dim = config.embedder.dim;
  const priorPath = config.priorPath ?? resolve(modelDir, 'prior.json');
  const prior = existsSync(priorPath)
    ? priorFromJson(JSON.parse(readFileSync(priorPath, 'utf8')))
    : isotropicPrior(dim, 1);
  if (prior.dim !== dim) throw new Error(`population prior ${priorPath} has ${prior.dim} dimensions; the embedder has ${dim}`);
  return new Personalizer({ catalog, prior, embedder: config.embedder, extractor: config.extractor ?? new LocalAttributeExtractor(catalog) });
}
