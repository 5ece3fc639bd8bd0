// The ports prefs/ needs from models and servers. Adapters implement them
// (adapters/onnx/clip-embedder.ts, adapters/huggingface/llm-attributes.ts); prefs/ itself
// only ever sees these interfaces.

/** 8-bit RGB, row-major, width * height * 3 bytes. */
export interface RgbImage {
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** A CLIP-style dual encoder: images and texts in one space. */
export interface Embedder {
  /** Embedding width, e.g. 64 for the bundled pack, 512 for CLIP ViT-B. */
  readonly dim: number;
  /** One L2-normalized vector of length `dim` per image. */
  embedImages(images: readonly RgbImage[]): Promise<number[][]>;
  /** One L2-normalized vector of length `dim` per text. */
  embedTexts(texts: readonly string[]): Promise<number[][]>;
}

/** ViPer's two keyword lists, read from free-text comments. */
export interface Extraction {
  readonly liked: readonly string[];
  readonly disliked: readonly string[];
  /** Optional intensity per keyword (1 = plain statement, > 1 emphatic, < 1 hedged). */
  readonly weights?: Readonly<Record<string, number>>;
}

export interface AttributeExtractor {
  extract(text: string, options?: { signal?: AbortSignal }): Promise<Extraction>;
}

/**
 * Counts tokens the way the text encoder will (the runtime's DiffusionModel.tokenize(text)
 * .tokenCount against maxTokens): `count` and `budget` must use the same convention.
 */
export interface TokenCounter {
  count(text: string): number;
  readonly budget: number;
}
