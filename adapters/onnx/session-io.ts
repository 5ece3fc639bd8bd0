// Reads what a session expects from its metadata instead of assuming SD 1.5's shapes.
import type * as ort from 'onnxruntime-node';
import { ModelFolderError } from './model-errors.ts';

export interface IoSpec {
  readonly name: string;
  readonly type: string;
  /** Dimensions; a string or -1 marks a free (symbolic) dimension. */
  readonly shape: readonly (number | string)[];
}

type Metadata = readonly ort.InferenceSession.ValueMetadata[];

function find(meta: Metadata, wanted: readonly string[], folder: string, file: string, what: string): IoSpec {
  const byName = meta.find((m) => wanted.includes(m.name)) ?? (wanted.length === 0 ? meta[0] : undefined);
  if (!byName) {
    throw new ModelFolderError(folder, file, `has no ${what} named ${wanted.join(' or ')} (it has ${meta.map((m) => m.name).join(', ')})`);
  }
  if (!byName.isTensor) throw new ModelFolderError(folder, file, `${byName.name} is not a tensor`);
  return { name: byName.name, type: byName.type, shape: byName.shape as readonly (number | string)[] };
}

export const inputSpec = (s: ort.InferenceSession, names: readonly string[], folder: string, file: string) =>
  find(s.inputMetadata, names, folder, file, 'input');

export const outputSpec = (s: ort.InferenceSession, names: readonly string[], folder: string, file: string) =>
  find(s.outputMetadata, names, folder, file, 'output');

export const fixedDim = (spec: IoSpec, axis: number): number | undefined => {
  const d = spec.shape[axis];
  return typeof d === 'number' && d > 0 ? d : undefined;
};
