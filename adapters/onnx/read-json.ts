import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelFolderError } from './model-errors.ts';

/** Reads a JSON file of a model folder; a missing file is an error only when `required`. */
export function readJson<T = Record<string, unknown>>(folder: string, file: string, required: true): T;
export function readJson<T = Record<string, unknown>>(folder: string, file: string, required: false): T | undefined;
export function readJson<T>(folder: string, file: string, required: boolean): T | undefined {
  const path = join(folder, file);
  if (!existsSync(path)) {
    if (required) throw new ModelFolderError(folder, file, 'is missing');
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new ModelFolderError(folder, file, `is not valid JSON (${(err as Error).message})`);
  }
}
