import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PromptTokenizer } from '../../../adapters/onnx/tokenizer.ts';
import { ModelFolderError } from '../../../adapters/onnx/model-errors.ts';
import { FIXTURES, PACK_DIR, SHARED, sharedMissing } from '../../helpers.ts';

const clipDir = join(SHARED, 'data', 'clip-tokenizer');

test('real CLIP vocab.json + merges.txt gives the reference ids', { skip: sharedMissing && '../shared is absent' }, () => {
  const tok = PromptTokenizer.fromFolder(clipDir, 77);
  const cases: Record<string, number[]> = JSON.parse(readFileSync(join(clipDir, 'expected-ids.json'), 'utf8')).cases;
  assert.ok(Object.keys(cases).length >= 3);
  for (const [text, ids] of Object.entries(cases)) assert.deepEqual(tok.encode(text), ids, text);
});

test('CLIP prompts pad with the end token to 77 and report truncation', { skip: sharedMissing && '../shared is absent' }, () => {
  const tok = PromptTokenizer.fromFolder(clipDir, 77);
  const short = tok.tokenize('a photo of a cat');
  assert.equal(short.ids.length, 77);
  assert.equal(short.tokenCount, 7);
  assert.equal(short.truncated, false);
  assert.deepEqual(short.ids.slice(5, 9), [2368, 49407, 49407, 49407]);
  const long = tok.tokenize(Array.from({ length: 100 }, () => 'cat').join(' '));
  assert.equal(long.truncated, true);
  assert.equal(long.tokenCount, 102);
  assert.equal(long.ids.length, 77);
  assert.equal(long.ids[76], 49407, 'a cut keeps the end token last');
});

test('the pack tokenizer (tokenizer.json) maps world words and marks unknown ones', () => {
  const tok = PromptTokenizer.fromFolder(join(FIXTURES, 'tiny-sd-int64-timestep', 'tokenizer'));
  const vocab = JSON.parse(readFileSync(join(FIXTURES, 'tiny-sd-int64-timestep', 'tokenizer', 'tokenizer.json'), 'utf8')).model.vocab;
  const ids = tok.encode('A red striped circle, on a teal background');
  assert.deepEqual(ids, [1, ...['a', 'red', 'striped', 'circle', ',', 'on', 'a', 'teal', 'background'].map((w) => vocab[w]), 2]);
  assert.equal(tok.encode('a zebra')[2], vocab['<|unk|>']);
  assert.equal(tok.tokenize('').ids.length, tok.maxLength);
  void PACK_DIR;
});

test('a folder without tokenizer files names what is missing', () => {
  assert.throws(() => PromptTokenizer.fromFolder(FIXTURES), (err: unknown) => err instanceof ModelFolderError && /tokenizer\.json.*missing/.test(err.message));
});
