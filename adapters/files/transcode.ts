// Serves a stored file in the other format: the store keeps a PNG (full size) and a WebP
// thumbnail; a client may want a WebP full image or a PNG thumbnail. Full images are re-encoded
// from their pixels with their generation parameters (encodeImage), so the metadata survives.
import sharp from 'sharp';
import { encodeImage, readImageMetadata, type ImageFormat } from './image-encoder.ts';

export async function transcodeImage(file: Uint8Array, format: ImageFormat): Promise<Buffer> {
  const input = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const { generation } = await readImageMetadata(input);
  if (generation) {
    const { data, info } = await sharp(input).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return encodeImage(data, info.width, info.height, generation, format);
  }
  // A thumbnail carries no parameters: a plain lossless conversion.
  return format === 'webp' ? sharp(input).webp({ lossless: true }).toBuffer() : sharp(input).png().toBuffer();
}
