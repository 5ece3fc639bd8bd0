import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { encodeImage, makeThumbnail, readImageMetadata } from '../../../adapters/files/image-encoder.ts';
import type { ImageFormat } from '../../../adapters/files/image-encoder.ts';
import { ImageFormatError } from '../../../adapters/files/errors.ts';
import {
  formatA1111Parameters,
  parseA1111Parameters,
  type GenerationMetadata,
} from '../../../adapters/files/generation-metadata.ts';

// Noisy pixels, so any lossy step or channel mix-up shows up as a mismatch.
function makePixels(width: number, height: number, seed = 1): Uint8Array {
  const pixels = new Uint8Array(width * height * 3);
  let state = seed;
  for (let i = 0; i < pixels.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    pixels[i] = state >>> 24;
  }
  return pixels;
}

const meta: GenerationMetadata = {
  prompt: 'a red cube, studio lighting, 猫 ünïcode',
  negativePrompt: 'blurry, low quality',
  steps: 30,
  sampler: 'DDIM',
  guidance: 7.5,
  seed: 4_294_967_295,
  width: 32,
  height: 24,
  model: 'atelier-tiny-v1',
  extras: { rewrittenPrompt: 'a crimson cube', personalization: { user: 'u1', weight: 0.3 } },
};

async function decodeRaw(buffer: Buffer): Promise<{ data: Buffer; channels: number }> {
  const { data, info } = await sharp(buffer).raw().toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels };
}

// Walks the file independently of the library that wrote it, checking every chunk's CRC.
function pngChunks(png: Buffer): { name: string; data: Buffer }[] {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: { name: string; data: Buffer }[] = [];
  let at = 8;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const typeAndData = png.subarray(at + 4, at + 8 + length);
    const name = typeAndData.toString('latin1', 0, 4);
    assert.equal(png.readUInt32BE(at + 8 + length), crc32(typeAndData), `CRC of ${name}`);
    chunks.push({ name, data: typeAndData.subarray(4) });
    at += 12 + length;
  }
  assert.equal(at, png.length, 'no trailing bytes after the last chunk');
  return chunks;
}

test('PNG carries A1111 parameters and the full generation record', async () => {
  const png = await encodeImage(makePixels(32, 24), 32, 24, meta, 'png');
  const read = await readImageMetadata(png);
  assert.equal(read.format, 'png');
  assert.equal(read.parameters, formatA1111Parameters(meta));
  assert.deepEqual(read.generation, meta);
});

test('PNG decodes to exactly the input pixels', async () => {
  const pixels = makePixels(32, 24, 7);
  const { data, channels } = await decodeRaw(await encodeImage(pixels, 32, 24, meta, 'png'));
  assert.equal(channels, 3);
  assert.ok(data.equals(pixels));
});

test('PNG stays valid: sharp reads it, every CRC matches, text chunks sit before IEND', async () => {
  const png = await encodeImage(makePixels(32, 24), 32, 24, meta, 'png');
  const info = await sharp(png).metadata();
  assert.equal(info.format, 'png');
  assert.equal(info.width, 32);
  assert.equal(info.height, 24);
  assert.equal(info.channels, 3);

  const chunks = pngChunks(png);
  const names = chunks.map((c) => c.name);
  assert.equal(names[0], 'IHDR');
  assert.equal(names.at(-1), 'IEND');
  const keywords = chunks
    .filter((c) => c.name === 'tEXt' || c.name === 'iTXt')
    .map((c) => c.data.toString('latin1', 0, c.data.indexOf(0)));
  assert.deepEqual(keywords, ['parameters', 'atelier']);
});

test('PNG parameters use plain tEXt when the text is Latin-1, as A1111 writes them', async () => {
  const latin = { ...meta, prompt: 'a café, at night' };
  const png = await encodeImage(makePixels(8, 8), 8, 8, latin, 'png');
  const parameters = pngChunks(png).find((c) => c.name === 'tEXt');
  assert.ok(parameters);
  assert.equal(parameters.data.toString('latin1'), `parameters\0${formatA1111Parameters(latin)}`);
  assert.equal((await readImageMetadata(png)).parameters, formatA1111Parameters(latin));
});

test('WebP carries the same information as XMP and is lossless', async () => {
  const pixels = makePixels(32, 24, 3);
  const webp = await encodeImage(pixels, 32, 24, meta, 'webp');
  const read = await readImageMetadata(webp);
  assert.equal(read.format, 'webp');
  assert.equal(read.parameters, formatA1111Parameters(meta));
  assert.deepEqual(read.generation, meta);
  const { data } = await decodeRaw(webp);
  assert.ok(data.equals(pixels));
});

test('WebP XMP survives prompts with XML-special characters and CRLF', async () => {
  const tricky = { ...meta, prompt: 'a <b> & "c" \'d\'\r\nline two ]]> -->', negativePrompt: '' };
  const read = await readImageMetadata(await encodeImage(makePixels(4, 4), 4, 4, tricky, 'webp'));
  assert.equal(read.parameters, formatA1111Parameters(tricky));
  assert.deepEqual(read.generation, tricky);
});

test('A1111 text has the exact layout and round-trips a prompt with commas', () => {
  const plain: GenerationMetadata = {
    prompt: 'a cat, sitting on a mat, oil painting',
    negativePrompt: '',
    steps: 20,
    sampler: 'Euler a',
    guidance: 7,
    seed: 1234,
    width: 512,
    height: 768,
    model: 'sd15',
  };
  const text = formatA1111Parameters(plain);
  assert.equal(
    text,
    'a cat, sitting on a mat, oil painting\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1234, Size: 512x768, Model: sd15',
  );
  assert.deepEqual(parseA1111Parameters(text), { ...plain, other: {} });

  const withNegative = { ...plain, negativePrompt: 'blurry, ugly' };
  assert.equal(formatA1111Parameters(withNegative).split('\n')[1], 'Negative prompt: blurry, ugly');
  assert.deepEqual(parseA1111Parameters(formatA1111Parameters(withNegative)), { ...withNegative, other: {} });
});

test('A1111 text round-trips multi-line prompts and quotes values that need it', () => {
  const awkward: GenerationMetadata = {
    prompt: 'line one, with commas\nSteps: 99, Seed: 1, Size: 1x1\n  indented: yes, ',
    negativePrompt: ' leading space\nsecond line',
    steps: 4,
    sampler: 'DPM++ 2M, Karras',
    guidance: 0.30000000000000004,
    seed: 0,
    width: 32,
    height: 32,
    model: 'models/atelier:v2',
  };
  const text = formatA1111Parameters(awkward);
  assert.match(text, /Sampler: "DPM\+\+ 2M, Karras", /);
  assert.match(text, /Model: "models\/atelier:v2"$/);
  assert.deepEqual(parseA1111Parameters(text), { ...awkward, other: {} });
});

test('A1111 text written by A1111 itself parses, unknown settings kept aside', () => {
  const text =
    'masterpiece, 1girl\nNegative prompt: lowres\n' +
    'Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 42, Size: 512x512, ' +
    'Model hash: abc123, Model: anything, Lora hashes: "x: 1, y: 2", Version: v1.9.0\n';
  const parsed = parseA1111Parameters(text);
  assert.equal(parsed.prompt, 'masterpiece, 1girl');
  assert.equal(parsed.negativePrompt, 'lowres');
  assert.equal(parsed.sampler, 'DPM++ 2M Karras');
  assert.equal(parsed.guidance, 6.5);
  assert.equal(parsed.seed, 42);
  assert.equal(parsed.width, 512);
  assert.deepEqual(parsed.other, { 'Model hash': 'abc123', 'Lora hashes': 'x: 1, y: 2', Version: 'v1.9.0' });

  // A bare prompt with no settings line is all prompt.
  assert.deepEqual(parseA1111Parameters('just a prompt, nothing else'), {
    prompt: 'just a prompt, nothing else',
    negativePrompt: '',
    other: {},
  });
});

test('an unknown format throws naming the field and the accepted values', async () => {
  await assert.rejects(
    encodeImage(makePixels(4, 4), 4, 4, meta, 'gif' as ImageFormat),
    (error: unknown) => {
      assert.ok(error instanceof ImageFormatError);
      assert.equal(error.field, 'format');
      assert.deepEqual(error.accepted, ['png', 'webp']);
      assert.match(error.message, /format/);
      assert.match(error.message, /'png'/);
      assert.match(error.message, /'webp'/);
      return true;
    },
  );
});

test('bad pixel buffers are refused rather than misread', async () => {
  await assert.rejects(encodeImage(makePixels(4, 3), 4, 4, meta, 'png'), /pixels must hold/);
  const floats = new Float32Array(4 * 4 * 3) as unknown as Uint8Array;
  await assert.rejects(encodeImage(floats, 4, 4, meta, 'png'), TypeError);
  await assert.rejects(encodeImage(makePixels(4, 4), 4.5, 4, meta, 'png'), /width/);
});

test('files without our metadata read back as just their format', async () => {
  const bare = await sharp(Buffer.from(makePixels(4, 4)), { raw: { width: 4, height: 4, channels: 3 } }).png().toBuffer();
  assert.deepEqual(await readImageMetadata(bare), { format: 'png' });
});

test('thumbnails of small art are crisp nearest-neighbour WebP at the requested size', async () => {
  const pixels = makePixels(32, 32, 11);
  const png = await encodeImage(pixels, 32, 32, { ...meta, width: 32, height: 32 }, 'png');
  const thumb = await makeThumbnail(png);
  const info = await sharp(thumb).metadata();
  assert.equal(info.format, 'webp');
  assert.equal(info.width, 256);
  assert.equal(info.height, 256);

  // Each source pixel becomes an 8x8 block of exactly its colour.
  const { data, channels } = await decodeRaw(thumb);
  for (const [x, y] of [[0, 0], [5, 17], [31, 31]] as const) {
    const source = [...pixels.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)];
    for (const [dx, dy] of [[0, 0], [7, 7], [3, 5]] as const) {
      const at = ((y * 8 + dy) * 256 + (x * 8 + dx)) * channels;
      assert.deepEqual([...data.subarray(at, at + 3)], source, `block (${x},${y}) offset (${dx},${dy})`);
    }
  }
});

test('thumbnails keep the aspect ratio, enlarging or shrinking', async () => {
  const wide = await encodeImage(makePixels(64, 32), 64, 32, meta, 'png');
  const small = await sharp(await makeThumbnail(wide, 128)).metadata();
  assert.deepEqual([small.width, small.height], [128, 64]);

  const large = await encodeImage(makePixels(600, 300), 600, 300, meta, 'webp');
  const shrunk = await sharp(await makeThumbnail(large)).metadata();
  assert.deepEqual([shrunk.format, shrunk.width, shrunk.height], ['webp', 256, 128]);
});
