// A CLIP-style dual encoder in the layout transformers.js uses (onnx/vision_model.onnx,
// onnx/text_model.onnx, preprocessor_config.json, tokenizer files), as the prefs Embedder.
// Preprocessing follows CLIPImageProcessor: resize the shortest edge, centre crop, rescale,
// normalize; sharp does the resizing.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { ModelFolderError } from './model-errors.ts';
import { SessionFactory, type SessionOptions } from './providers.ts';
import { readJson } from './read-json.ts';
import { fixedDim, inputSpec, outputSpec, type IoSpec } from './session-io.ts';
import { floatTensor, integerTensor, readFloats } from './tensor-types.ts';
import { PromptTokenizer } from './tokenizer.ts';

export interface RgbImage {
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
}

interface PreprocessorConfig {
  do_resize?: boolean;
  size?: { shortest_edge?: number; height?: number; width?: number } | number;
  do_center_crop?: boolean;
  crop_size?: { height: number; width: number } | number;
  do_rescale?: boolean;
  rescale_factor?: number;
  do_normalize?: boolean;
  image_mean?: number[];
  image_std?: number[];
}

const normalize = (v: Float32Array): number[] => {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return Array.from(v, (x) => x / n);
};

export class ClipEmbedder {
  private constructor(
    private readonly vision: ort.InferenceSession,
    private readonly text: ort.InferenceSession,
    private readonly io: { pixels: IoSpec; imageEmbeds: IoSpec; ids: IoSpec; textEmbeds: IoSpec },
    private readonly tokenizer: PromptTokenizer,
    private readonly pre: Required<Pick<PreprocessorConfig, 'image_mean' | 'image_std'>> & { crop: number; resize: number; rescale: number },
    readonly dim: number,
  ) {}

  static async load(folderPath: string, options: SessionOptions): Promise<ClipEmbedder> {
    const folder = resolve(folderPath);
    for (const file of ['onnx/vision_model.onnx', 'onnx/text_model.onnx', 'preprocessor_config.json']) {
      if (!existsSync(join(folder, file))) throw new ModelFolderError(folder, file, 'is missing');
    }
    const config = readJson<PreprocessorConfig>(folder, 'preprocessor_config.json', true);
    const factory = new SessionFactory(options);
    const vision = await factory.open(join(folder, 'onnx/vision_model.onnx'));
    const text = await factory.open(join(folder, 'onnx/text_model.onnx'));
    const f = (file: string) => [folder, file] as const;
    const io = {
      pixels: inputSpec(vision, ['pixel_values'], ...f('onnx/vision_model.onnx')),
      imageEmbeds: outputSpec(vision, ['image_embeds'], ...f('onnx/vision_model.onnx')),
      ids: inputSpec(text, ['input_ids'], ...f('onnx/text_model.onnx')),
      textEmbeds: outputSpec(text, ['text_embeds'], ...f('onnx/text_model.onnx')),
    };
    const size = typeof config.size === 'number' ? config.size : config.size?.shortest_edge ?? config.size?.height ?? 224;
    const crop = typeof config.crop_size === 'number' ? config.crop_size : config.crop_size?.height ?? size;
    const tokenizer = PromptTokenizer.fromFolder(folder, fixedDim(io.ids, 1) ?? 77);
    const dim = fixedDim(io.imageEmbeds, 1);
    if (!dim) throw new ModelFolderError(folder, 'onnx/vision_model.onnx', 'image_embeds has no fixed embedding size');
    return new ClipEmbedder(vision, text, io, tokenizer, {
      image_mean: config.do_normalize === false ? [0, 0, 0] : config.image_mean ?? [0.48145466, 0.4578275, 0.40821073],
      image_std: config.do_normalize === false ? [1, 1, 1] : config.image_std ?? [0.26862954, 0.26130258, 0.27577711],
      resize: config.do_resize === false ? 0 : size,
      crop: config.do_center_crop === false ? 0 : crop,
      rescale: config.do_rescale === false ? 1 : config.rescale_factor ?? 1 / 255,
    }, dim);
  }

  /** RGB -> [3, crop, crop] floats, as CLIPImageProcessor computes them. */
  private async preprocess(image: RgbImage): Promise<Float32Array> {
    const { resize, crop, rescale, image_mean: mean, image_std: std } = this.pre;
    let pixels = image.pixels;
    let [w, h] = [image.width, image.height];
    if (resize && Math.min(w, h) !== resize) {
      const scale = resize / Math.min(w, h);
      [w, h] = [Math.round(w * scale), Math.round(h * scale)];
      pixels = new Uint8Array(await sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 3 } })
        .resize(w, h, { kernel: 'cubic', fit: 'fill' }).raw().toBuffer());
    }
    const side = crop || Math.min(w, h);
    const left = Math.floor((w - side) / 2);
    const top = Math.floor((h - side) / 2);
    const out = new Float32Array(3 * side * side);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const src = ((y + top) * w + (x + left)) * 3;
        for (let c = 0; c < 3; c++) out[c * side * side + y * side + x] = (pixels[src + c]! * rescale - mean[c]!) / std[c]!;
      }
    }
    return out;
  }

  async embedImages(images: readonly RgbImage[]): Promise<number[][]> {
    if (images.length === 0) return [];
    const planes = await Promise.all(images.map((i) => this.preprocess(i)));
    const per = planes[0]!.length;
    const side = Math.sqrt(per / 3);
    const batch = new Float32Array(per * planes.length);
    planes.forEach((p, i) => batch.set(p, i * per));
    const feeds = { [this.io.pixels.name]: floatTensor(this.io.pixels.type as 'float32', batch, [planes.length, 3, side, side]) };
    const out = (await this.vision.run(feeds, [this.io.imageEmbeds.name]))[this.io.imageEmbeds.name]!;
    const data = readFloats(out);
    return planes.map((_, i) => normalize(data.subarray(i * this.dim, (i + 1) * this.dim)));
  }

  async embedTexts(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const ids = texts.map((t) => this.tokenizer.tokenize(t).ids);
    const L = this.tokenizer.maxLength;
    const feeds = { [this.io.ids.name]: integerTensor(this.io.ids.type as 'int64', ids.flat(), [texts.length, L]) };
    const out = (await this.text.run(feeds, [this.io.textEmbeds.name]))[this.io.textEmbeds.name]!;
    const data = readFloats(out);
    const dim = out.dims[1]!;
    return texts.map((_, i) => normalize(data.subarray(i * dim, (i + 1) * dim)));
  }

  async release(): Promise<void> {
    await Promise.all([this.vision.release(), this.text.release()]);
  }
}
