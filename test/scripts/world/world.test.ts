import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { PromptTokenizer } from '../../../adapters/onnx/tokenizer.ts';
import { caption, randomCaption } from '../../../scripts/world/caption.ts';
import { mulberry32 } from '../../../scripts/world/prng.ts';
import { render } from '../../../scripts/world/render.ts';
import { randomAttributes } from '../../../scripts/world/sample.ts';
import { vocabulary } from '../../../scripts/world/vocabulary.ts';
import { FIXTURES } from '../../helpers.ts';

const scene = { shape: 'circle', colour: 'red', texture: 'flat', background: 'white', lighting: 'even' };
const px = (img: Uint8Array, x: number, y: number) => Array.from(img.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));

test('the world has at least 5 families of at least 4 values, content and style', () => {
  const fams = Object.entries(vocabulary.families);
  assert.ok(fams.length >= 5);
  for (const [, f] of fams) assert.ok(f.values.length >= 4);
  assert.ok(fams.some(([, f]) => f.kind === 'content'));
  assert.ok(fams.filter(([, f]) => f.kind === 'style').length >= 3);
});

test('rendering is deterministic and its ground truth is visible in the pixels', () => {
  const a = render(scene, 42);
  assert.equal(createHash('sha256').update(a).digest('hex'), createHash('sha256').update(render(scene, 42)).digest('hex'));
  assert.notDeepEqual(Buffer.from(render(scene, 43)), Buffer.from(a), 'the seed moves the subject');
  assert.deepEqual(px(a, 16, 16), [220, 40, 40], 'centre is the subject colour');
  assert.deepEqual(px(a, 0, 0), [245, 245, 240], 'corner is the background');
  const outlined = render({ ...scene, texture: 'outline' }, 42);
  assert.deepEqual(px(outlined, 16, 16), [245, 245, 240], 'an outlined subject is hollow');
  const lit = render({ ...scene, lighting: 'left' }, 42);
  assert.ok(px(lit, 1, 0)[2]! > px(lit, 30, 0)[2]!, 'light from the left is brighter on the left');
  const square = render({ ...scene, shape: 'square' }, 42);
  const cross = render({ ...scene, shape: 'cross' }, 42);
  assert.notDeepEqual(px(square, 9, 9), px(cross, 9, 9), 'a square fills the corner a cross leaves empty');
  assert.throws(() => render({ ...scene, shape: 'hexagon' }, 1), /unknown shape "hexagon"; expected one of circle, square, triangle, cross/);
});

test('captions name what they keep and leave the rest open', () => {
  assert.equal(caption(scene), 'a red plain circle, on a white background, in even light');
  assert.equal(caption(scene, new Set(['shape'])), 'a circle');
  assert.equal(caption(scene, new Set(['colour'])), 'a red shape');
  const rng = mulberry32(1);
  const seen = new Set(Array.from({ length: 200 }, () => randomCaption(randomAttributes(rng), rng)));
  assert.ok(seen.size > 100);
});

test('every vocabulary phrase is known to the pack tokenizer (no <|unk|>)', () => {
  const tok = PromptTokenizer.fromFolder(join(FIXTURES, 'tiny-sd-int64-timestep', 'tokenizer'));
  const unk = tok.encode('<|unk|>')[1];
  for (const f of Object.values(vocabulary.families)) {
    for (const phrase of [...Object.values(f.phrases), f.fallback ?? 'a']) {
      assert.ok(!tok.encode(phrase).includes(unk!), phrase);
    }
  }
  const full = tok.encode(caption(scene));
  assert.ok(full.length <= tok.maxLength - 8, 'a full caption leaves room for personalization');
});
