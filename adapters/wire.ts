// The one place that builds the house's parts from configuration.
import { resolve } from 'node:path';
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
