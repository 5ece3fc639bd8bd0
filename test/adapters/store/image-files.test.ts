// Content-addressed image files: the path is the hash of the PNG, the PNG carries its parameters,
// a WebP thumbnail sits beside it, and nothing but a hash ever becomes a path.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { readImageMetadata } from '../../../adapters/files/image-encoder.ts';
import { DiskImageFiles } from '../../../adapters/store/image-files.ts';
import { StoreInputError, StoreNotFoundError, type ImageParameters } from '../../../pipeline/ports.ts';

const params: ImageParameters = {
  prompt: 'a red circle', negativePrompt: '', steps: 20, guidance: 4, width: 8, height: 8, scheduler: 'ddim', model: 'atelier-tiny',
  extras: { rewrittenPrompt: 'a red circle, teal background' },
};

function image(seed: number) {
  const pixels = new Uint8Array(8 * 8 * 3).map((_, i) => (i * 37 + seed) % 256);
  return { seed, width: 8, height: 8, pixels };
}

describe('DiskImageFiles', () => {
  let dataDir: string;
  let files: DiskImageFiles;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'atelier-files-'));
    files = new DiskImageFiles(dataDir, 64);
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('writes the PNG under images/ab/cdef... named by its hash, with its parameters and a WebP thumbnail', async () => {
    const stored = await files.save(image(1), params);
    assert.equal(stored.path, `images/${stored.sha256.slice(0, 2)}/${stored.sha256.slice(2)}.png`);
    const png = await readFile(join(dataDir, stored.path));
    assert.equal(createHash('sha256').update(png).digest('hex'), stored.sha256);
    assert.equal(stored.bytes, png.length);
    const meta = await readImageMetadata(png);
    assert.equal(meta.generation?.prompt, 'a red circle');
    assert.equal(meta.generation?.seed, 1);
    assert.deepEqual(meta.generation?.extras, params.extras);
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual(new Uint8Array(data), image(1).pixels);
    const thumb = await sharp(Buffer.from(await files.read(stored.sha256, 'thumb'))).metadata();
    assert.deepEqual([thumb.format, thumb.width, thumb.height], ['webp', 64, 64]);
    assert.deepEqual(Buffer.from(await files.read(stored.sha256, 'full')), png);
  });

  it('gives the same file for the same image (a retried job) and another for another seed', async () => {
    const first = await files.save(image(2), params);
    const again = await files.save(image(2), params);
    assert.deepEqual(again, first);
    assert.notEqual((await files.save(image(3), params)).sha256, first.sha256);
    const dir = join(dataDir, 'images', first.sha256.slice(0, 2));
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), []);
  });

  it('reads only by hash: a path is refused, an unknown hash is not found', async () => {
    await assert.rejects(files.read('../../etc/passwd', 'full'), StoreInputError);
    await assert.rejects(files.read('A'.repeat(64), 'full'), StoreInputError);
    await assert.rejects(files.read('0'.repeat(64), 'thumb'), StoreNotFoundError);
    await assert.rejects(files.read('0'.repeat(64), 'huge' as 'full'), StoreInputError);
  });
});
