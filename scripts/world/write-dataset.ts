// Writes a split of rendered scenes for the Python training scripts:
//   images.bin  N x size x size x 3 uint8 (RGB, row-major)
//   attrs.bin   N x families uint8 (index of each family's value, in caption_order)
//   meta.json   what the two files hold and how they were made
// Usage: tsx scripts/world/write-dataset.ts --out data/world/train --n 200000 --seed 1
import { mkdirSync, openSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mulberry32 } from './prng.ts';
import { render } from './render.ts';
import { randomAttributes } from './sample.ts';
import { vocabulary } from './vocabulary.ts';

const { values } = parseArgs({
  options: { out: { type: 'string' }, n: { type: 'string', default: '1000' }, seed: { type: 'string', default: '1' } },
});
if (!values.out) throw new Error('--out DIR is required');
const n = Number(values.n);
const seed = Number(values.seed);
if (!Number.isInteger(n) || n <= 0) throw new Error(`--n must be a positive integer, got ${values.n}`);

mkdirSync(values.out, { recursive: true });
const families = vocabulary.caption_order;
const size = vocabulary.image_size;
const images = openSync(join(values.out, 'images.bin'), 'w');
const attrs = openSync(join(values.out, 'attrs.bin'), 'w');
const rng = mulberry32(seed);
const CHUNK = 1024;
for (let start = 0; start < n; start += CHUNK) {
  const count = Math.min(CHUNK, n - start);
  const img = new Uint8Array(count * size * size * 3);
  const att = new Uint8Array(count * families.length);
  for (let i = 0; i < count; i++) {
    const a = randomAttributes(rng);
    img.set(render(a, seed * 1_000_003 + start + i), i * size * size * 3);
    families.forEach((f, j) => (att[i * families.length + j] = vocabulary.families[f]!.values.indexOf(a[f]!)));
  }
  writeSync(images, img);
  writeSync(attrs, att);
}
closeSync(images);
closeSync(attrs);
writeFileSync(
  join(values.out, 'meta.json'),
  JSON.stringify({ n, size, seed, families, vocabulary: vocabulary.name }, null, 2) + '\n',
);
console.log(`wrote ${n} scenes to ${values.out}`);
