// Image files on disk, content-addressed: DATA_DIR/images/ab/cdef....png, named by the SHA-256 of
// the PNG, with a WebP thumbnail beside it (....thumb.webp). The same pixels and parameters give
// the same bytes, so a job retried on another worker rewrites nothing and no file is orphaned.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StoreInputError, StoreNotFoundError, type ImageFiles, type ImageParameters, type StoredFile } from '../../pipeline/ports.ts';
import type { GeneratedImage } from '../../pipeline/diffusion/text-to-image.ts';
import { encodeImage, makeThumbnail } from '../files/image-encoder.ts';

const SHA256 = /^[0-9a-f]{64}$/;

function relativePaths(sha256: string): { path: string; thumbPath: string } {
  const stem = `images/${sha256.slice(0, 2)}/${sha256.slice(2)}`;
  return { path: `${stem}.png`, thumbPath: `${stem}.thumb.webp` };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

// Write then rename: a reader (or a crash) never sees half a file, and two workers writing the
// same content both end with the same complete file.
async function writeOnce(file: string, bytes: Uint8Array): Promise<void> {
  if (await exists(file)) return;
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

export class DiskImageFiles implements ImageFiles {
  constructor(
    /** DATA_DIR; stored paths are relative to it, so the folder can move. */
    readonly dataDir: string,
    private readonly thumbSize = 256,
  ) {}

  async save(image: GeneratedImage, params: ImageParameters): Promise<StoredFile> {
    const png = await encodeImage(image.pixels, image.width, image.height, {
      prompt: params.prompt, negativePrompt: params.negativePrompt, steps: params.steps, sampler: params.scheduler,
      guidance: params.guidance, seed: image.seed, width: image.width, height: image.height, model: params.model,
      ...(params.extras && { extras: { ...params.extras } }),
    }, 'png');
    const sha256 = createHash('sha256').update(png).digest('hex');
    const { path, thumbPath } = relativePaths(sha256);
    await writeOnce(join(this.dataDir, path), png);
    const thumb = join(this.dataDir, thumbPath);
    if (!(await exists(thumb))) await writeOnce(thumb, await makeThumbnail(png, this.thumbSize));
    return { sha256, path, thumbPath, bytes: png.length };
  }

  async read(sha256: string, variant: 'full' | 'thumb'): Promise<Uint8Array> {
    // Only a hash ever becomes a path, so no id from a request can walk out of DATA_DIR.
    if (typeof sha256 !== 'string' || !SHA256.test(sha256)) throw new StoreInputError('sha256', '64 lowercase hex digits', sha256);
    if (variant !== 'full' && variant !== 'thumb') throw new StoreInputError('variant', "'full' or 'thumb'", variant);
    const paths = relativePaths(sha256);
    try {
      return await readFile(join(this.dataDir, variant === 'full' ? paths.path : paths.thumbPath));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StoreNotFoundError('image', sha256);
      throw err;
    }
  }
}
