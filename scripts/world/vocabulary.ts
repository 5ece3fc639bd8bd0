// The world's vocabulary: attribute families, their values and the phrases prompts use.
// One JSON file is the source of truth for the renderer, the captioner, the Python
// training scripts, the attribute extractor and the prompt rewriter.
import { readFileSync } from 'node:fs';

export type FamilyKind = 'content' | 'style';

export interface Family {
  readonly kind: FamilyKind;
  readonly values: readonly string[];
  readonly phrases: Readonly<Record<string, string>>;
  readonly fallback?: string;
}

export interface Vocabulary {
  readonly name: string;
  readonly image_size: number;
  readonly caption_order: readonly string[];
  readonly families: Readonly<Record<string, Family>>;
  readonly palette: {
    readonly colour: Readonly<Record<string, readonly [number, number, number]>>;
    readonly background: Readonly<Record<string, readonly [number, number, number]>>;
  };
}

export const VOCABULARY_PATH = new URL('./vocabulary.json', import.meta.url);

export const vocabulary: Vocabulary = JSON.parse(readFileSync(VOCABULARY_PATH, 'utf8'));

/** Attribute values of one scene, one per family. */
export type Attributes = Readonly<Record<string, string>>;

export const familyNames = (): string[] => [...vocabulary.caption_order];
