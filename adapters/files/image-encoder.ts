// Turns generated pixels into files that carry how they were made, and reads that back. PNG keeps
// the parameters in text chunks (where A1111, ComfyUI and Civitai look); WebP keeps them in XMP,
// because sharp writes EXIF strings as ASCII and would mangle any non-ASCII prompt.

import { inflateSync } from 'node:zlib';
import sharp from 'sharp';
import extractChunks from 'png-chunks-extract';
import encodeChunks from 'png-chunks-encode';
import * as pngText from 'png-chunk-text';
import { ImageFormatError } from './errors.ts';
import { formatA1111Parameters, toGenerationMetadata, type GenerationMetadata } from './generation-metadata.ts';

export const IMAGE_FORMATS = ['png', 'webp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export interface ImageFileMetadata {
  /** A1111 "parameters" text, as written (parse it with parseA1111Parameters). */
  parameters?: string;
  /** The full record, present only in files this adapter wrote (or that copied its JSON). */
  generation?: GenerationMetadata;
  /** The container as sharp detects it: 'png', 'webp', or any other format sharp reads. */
  format: string;
}

const PARAMETERS_KEY = 'parameters';
const GENERATION_KEY = 'atelier';
const XMP_NAMESPACE = 'https://atelier.invalid/ns/generation/1.0/';

interface PngChunk {
  name: string;
  data: Uint8Array;
}

function isImageFormat(format: unknown): format is ImageFormat {
  return (IMAGE_FORMATS as readonly unknown[]).includes(format);
}

// iTXt with no compression, language or translated keyword: the UTF-8 text chunk PNG offers.
function encodeITxt(keyword: string, text: string): PngChunk {
  const data = Buffer.concat([
    Buffer.from(keyword, 'latin1'),
    Buffer.from([0, 0, 0, 0, 0]), // keyword end, compression flag, method, empty language, empty translation
    Buffer.from(text, 'utf8'),
  ]);
  return { name: 'iTXt', data };
}

// tEXt is Latin-1 only; like PIL (which A1111 uses) fall back to iTXt for anything else.
function encodeTextChunk(keyword: string, text: string): PngChunk {
  return /^[\x01-\xff]+$/.test(text) ? pngText.encode(keyword, text) : encodeITxt(keyword, text);
}

function decodeTextChunk(chunk: PngChunk): { keyword: string; text: string } | undefined {
  const data = Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength);
  const keywordEnd = data.indexOf(0);
  if (keywordEnd < 0) return undefined;
  const keyword = data.toString('latin1', 0, keywordEnd);
  switch (chunk.name) {
    case 'tEXt':
      return { keyword, text: data.toString('latin1', keywordEnd + 1) };
    case 'zTXt':
      return { keyword, text: inflateSync(data.subarray(keywordEnd + 2)).toString('latin1') };
    case 'iTXt': {
      const compressed = data[keywordEnd + 1] === 1;
      const languageEnd = data.indexOf(0, keywordEnd + 3);
      const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1);
      if (translatedEnd < 0) return undefined;
      const body = data.subarray(translatedEnd + 1);
      return { keyword, text: (compressed ? inflateSync(body) : body).toString('utf8') };
    }
    default:
      return undefined;
  }
}

function insertPngText(png: Buffer, entries: readonly [keyword: string, text: string][]): Buffer {
  const chunks = extractChunks(png);
  const iend = chunks.findIndex((chunk) => chunk.name === 'IEND');
  chunks.splice(iend < 0 ? chunks.length : iend, 0, ...entries.map(([k, t]) => encodeTextChunk(k, t)));
  const encoded = encodeChunks(chunks);
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

function readPngText(png: Buffer): Map<string, string> {
  const texts = new Map<string, string>();
  for (const chunk of extractChunks(png)) {
    const entry = decodeTextChunk(chunk);
    // First one wins: an editor that appends its own copy later should not shadow ours.
    if (entry && !texts.has(entry.keyword)) texts.set(entry.keyword, entry.text);
  }
  return texts;
}

function escapeXml(text: string): string {
  // \r is escaped too, or an XML parser would normalise \r\n in a prompt to \n.
  return text.replace(/[&<>"\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function unescapeXml(text: string): string {
  return text.replace(/&(?:#(\d+)|#x([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));/g, (_, dec, hex, named) => {
    if (dec !== undefined) return String.fromCodePoint(Number(dec));
    if (hex !== undefined) return String.fromCodePoint(parseInt(hex, 16));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[named as 'amp'];
  });
}

function buildXmp(parameters: string, generationJson: string): string {
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    `  <rdf:Description rdf:about="" xmlns:atelier="${XMP_NAMESPACE}">`,
    `   <atelier:${PARAMETERS_KEY}>${escapeXml(parameters)}</atelier:${PARAMETERS_KEY}>`,
    `   <atelier:generation>${escapeXml(generationJson)}</atelier:generation>`,
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="w"?>',
  ].join('\n');
}

// Only our own two simple elements are read, so a pattern is enough; no XML parser dependency.
function readXmpElement(xmp: string, name: string): string | undefined {
  const match = new RegExp(`<atelier:${name}>([\\s\\S]*?)</atelier:${name}>`).exec(xmp);
  return match?.[1] === undefined ? undefined : unescapeXml(match[1]);
}

function parseGeneration(json: string | undefined): GenerationMetadata | undefined {
  if (json === undefined) return undefined;
  try {
    return toGenerationMetadata(JSON.parse(json));
  } catch {
    return undefined; // a damaged record reads as absent rather than failing the whole file
  }
}

function checkPixels(pixels: Uint8Array, width: number, height: number): void {
  // Guards the measured pitfall: sharp reads a Float32Array as 16-bit samples, silently.
  if (!(pixels instanceof Uint8Array)) throw new TypeError('pixels must be a Uint8Array of 8-bit RGB');
  for (const [field, value] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${field} must be a positive integer, got ${value}`);
  }
  if (pixels.length !== width * height * 3) {
    throw new RangeError(`pixels must hold width*height*3 = ${width * height * 3} bytes of RGB, got ${pixels.length}`);
  }
}

/** Encodes 8-bit RGB, row-major pixels as PNG or lossless WebP carrying `meta`. */
export async function encodeImage(
  pixels: Uint8Array,
  width: number,
  height: number,
  meta: GenerationMetadata,
  format: ImageFormat,
): Promise<Buffer> {
  if (!isImageFormat(format)) throw new ImageFormatError('format', format, IMAGE_FORMATS);
  checkPixels(pixels, width, height);
  const parameters = formatA1111Parameters(meta);
  const generationJson = JSON.stringify(meta);
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });

  if (format === 'webp') {
    // Lossless, so a WebP reproduces the generated pixels as exactly as the PNG does.
    return image.webp({ lossless: true }).withXmp(buildXmp(parameters, generationJson)).toBuffer();
  }
  // palette: false because quantising to a palette would change the pixels we promise to keep.
  const png = await image.png({ palette: false }).toBuffer();
  return insertPngText(png, [
    [PARAMETERS_KEY, parameters],
    [GENERATION_KEY, generationJson],
  ]);
}

/** Reads generation parameters back from a PNG's text chunks or any image's XMP. */
export async function readImageMetadata(buffer: Buffer): Promise<ImageFileMetadata> {
  const { format, xmp } = await sharp(buffer).metadata();
  const result: ImageFileMetadata = { format };
  let parameters: string | undefined;
  let generationJson: string | undefined;

  if (format === 'png') {
    const texts = readPngText(buffer);
    parameters = texts.get(PARAMETERS_KEY);
    generationJson = texts.get(GENERATION_KEY);
  }
  // XMP is WebP's home for them, and a fallback for a PNG some tool re-saved with XMP only.
  if (xmp) {
    const xmpText = xmp.toString('utf8');
    parameters ??= readXmpElement(xmpText, PARAMETERS_KEY);
    generationJson ??= readXmpElement(xmpText, 'generation');
  }

  if (parameters !== undefined) result.parameters = parameters;
  const generation = parseGeneration(generationJson);
  if (generation) result.generation = generation;
  return result;
}

/**
 * A WebP thumbnail fitting in size x size, aspect kept. Small images are enlarged with
 * nearest-neighbour so pixel art stays crisp (and lossless, since blocky images compress well
 * that way and lossy chroma subsampling would smear the block edges); large ones shrink with
 * sharp's default Lanczos.
 */
export async function makeThumbnail(buffer: Buffer, size = 256): Promise<Buffer> {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`size must be a positive integer, got ${size}`);
  const { width, height } = await sharp(buffer).metadata();
  const enlarging = width !== undefined && height !== undefined && Math.max(width, height) < size;
  return sharp(buffer)
    .resize(size, size, { fit: 'inside', kernel: enlarging ? 'nearest' : 'lanczos3' })
    .webp(enlarging ? { lossless: true } : { quality: 80 })
    .toBuffer();
}
