// The parameters an image was generated with, and their AUTOMATIC1111 text form. The A1111
// "parameters" text is what other tools (Civitai, ComfyUI loaders, PNG Info tabs) already read,
// so it is written byte-for-byte in their layout; the full record travels beside it as JSON,
// because the text form cannot carry extras and is ambiguous for some prompts.

export interface GenerationMetadata {
  prompt: string;
  negativePrompt: string;
  steps: number;
  sampler: string;
  guidance: number;
  seed: number;
  width: number;
  height: number;
  model: string;
  /** Anything else needed to reproduce the image, e.g. a rewritten prompt or personalization. */
  extras?: Record<string, unknown>;
}

/** What the A1111 text can give back: the prompts always, the rest when the text had them. */
export type ParsedA1111Parameters = Pick<GenerationMetadata, 'prompt' | 'negativePrompt'> &
  Partial<Omit<GenerationMetadata, 'prompt' | 'negativePrompt' | 'extras'>> & {
    /** Settings other writers add (Model hash, Clip skip, ...), values unquoted. */
    other: Record<string, string>;
  };

const NEGATIVE_PREFIX = 'Negative prompt:';

// A1111's own pattern (modules/infotext_utils.py): a value is either JSON-quoted or runs to the
// next comma.
const PARAM_PATTERN = /\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;

// Mirrors A1111's quote(): values that would break the comma-separated line are JSON-quoted.
function quote(value: string): string {
  return /[,\n:]/.test(value) ? JSON.stringify(value) : value;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === 'string') return parsed;
    } catch {
      // Not valid JSON after all: A1111 keeps such values verbatim, so do we.
    }
  }
  return value;
}

/**
 * The A1111 "parameters" text. Unlike A1111 the whole text is not trimmed, so prompts with
 * leading or trailing whitespace survive a round trip; for ordinary prompts the output is identical.
 */
export function formatA1111Parameters(meta: GenerationMetadata): string {
  const settings = [
    `Steps: ${meta.steps}`,
    `Sampler: ${quote(meta.sampler)}`,
    `CFG scale: ${meta.guidance}`,
    `Seed: ${meta.seed}`,
    `Size: ${meta.width}x${meta.height}`,
    `Model: ${quote(meta.model)}`,
  ].join(', ');
  const negative = meta.negativePrompt === '' ? '' : `\n${NEGATIVE_PREFIX} ${meta.negativePrompt}`;
  return `${meta.prompt}${negative}\n${settings}`;
}

function parseSettings(line: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const match of line.matchAll(PARAM_PATTERN)) {
    const [, key, value] = match;
    if (key !== undefined && value !== undefined) settings.set(key.trim(), unquote(value.trim()));
  }
  return settings;
}

function parseNumber(value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) return undefined;
  return n;
}

/**
 * Reads A1111 "parameters" text back. The last line holds the settings when it has at least three
 * of them (A1111's own test); the first line starting "Negative prompt:" splits the prompts, so a
 * prompt containing such a line is read ambiguously, exactly as A1111 reads it.
 */
export function parseA1111Parameters(text: string): ParsedA1111Parameters {
  // Trailing whitespace is never ours (the settings line ends the text) but pasted text has it.
  const lines = text.replace(/\s+$/, '').split('\n');
  let settings = parseSettings(lines.at(-1) ?? '');
  if (settings.size >= 3) {
    lines.pop();
  } else {
    settings = new Map();
  }

  const negativeAt = lines.findIndex((line) => line.startsWith(NEGATIVE_PREFIX));
  const promptLines = negativeAt === -1 ? lines : lines.slice(0, negativeAt);
  const negativeLines = negativeAt === -1 ? [] : lines.slice(negativeAt);
  if (negativeLines.length > 0) {
    // Drop the prefix and the one space the writer puts after it, keeping any the user typed.
    negativeLines[0] = negativeLines[0]!.slice(NEGATIVE_PREFIX.length).replace(/^ /, '');
  }

  const parsed: ParsedA1111Parameters = {
    prompt: promptLines.join('\n'),
    negativePrompt: negativeLines.join('\n'),
    other: {},
  };
  for (const [key, value] of settings) {
    switch (key) {
      case 'Steps': {
        const steps = parseNumber(value, true);
        if (steps !== undefined) parsed.steps = steps;
        break;
      }
      case 'Sampler':
        parsed.sampler = value;
        break;
      case 'CFG scale': {
        const guidance = parseNumber(value, false);
        if (guidance !== undefined) parsed.guidance = guidance;
        break;
      }
      case 'Seed': {
        const seed = parseNumber(value, true);
        if (seed !== undefined) parsed.seed = seed;
        break;
      }
      case 'Size': {
        const size = /^(\d+)x(\d+)$/.exec(value);
        if (size) {
          parsed.width = Number(size[1]);
          parsed.height = Number(size[2]);
        }
        break;
      }
      case 'Model':
        parsed.model = value;
        break;
      default:
        parsed.other[key] = value;
    }
  }
  return parsed;
}

const NUMBER_FIELDS = ['steps', 'guidance', 'seed', 'width', 'height'] as const;
const STRING_FIELDS = ['prompt', 'negativePrompt', 'sampler', 'model'] as const;

/** Narrows decoded JSON (e.g. from a file someone else wrote) to GenerationMetadata, or undefined. */
export function toGenerationMetadata(value: unknown): GenerationMetadata | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (!STRING_FIELDS.every((field) => typeof record[field] === 'string')) return undefined;
  if (!NUMBER_FIELDS.every((field) => typeof record[field] === 'number' && Number.isFinite(record[field]))) {
    return undefined;
  }
  const extras = record.extras;
  if (extras !== undefined && (typeof extras !== 'object' || extras === null || Array.isArray(extras))) {
    return undefined;
  }
  return record as unknown as GenerationMetadata;
}
