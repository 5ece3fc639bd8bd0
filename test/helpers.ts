// Shared test helpers: paths to fixtures, the bundled pack and ../shared.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const FIXTURES = resolve(ROOT, 'test', 'fixtures');
export const PACK_DIR = resolve(ROOT, 'models', 'atelier-tiny');
/** ../shared beside the checkout; tests that read it skip cleanly where it is absent. */
export const SHARED = resolve(ROOT, '..', 'shared');
export const sharedMissing = !existsSync(resolve(SHARED, 'data', 'clip-tokenizer', 'vocab.json'));
export const quiet = { log: () => {} };
