// The one place that builds the house's parts from configuration.
import { resolve } from 'node:path';
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
