// Tokenizes prompts the way the model's text encoder expects, with @huggingface/tokenizers.
// A folder may hold tokenizer.json, or CLIP's vocab.json + merges.txt as SD exports ship
// them; for the latter we build the tokenizer.json that CLIPTokenizerFast would save.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelFolderError } from './model-errors.ts';
import { readJson } from './read-json.ts';

export interface TokenizedPrompt {
  /** Ids padded (or cut) to exactly maxLength, start and end tokens included. */
  readonly ids: number[];
  /** Tokens the prompt needs, start and end included, before any cut. */
  readonly tokenCount: number;
  readonly truncated: boolean;
}

interface TokenizerConfig {
  model_max_length?: number;
  pad_token?: string | { content: string };
  eos_token?: string | { content: string };
  bos_token?: string | { content: string };
}

const tokenText = (t: TokenizerConfig['pad_token']): string | undefined => (typeof t === 'object' ? t.content : t);

function clipTokenizerJson(vocab: Record<string, number>, merges: string[]) {
  const special = (content: string) => ({
    id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true,
  });
  return {
    version: '1.0',
    added_tokens: [special('<|startoftext|>'), special('<|endoftext|>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: { Regex: "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['<|endoftext|>', vocab['<|endoftext|>']],
      cls: ['<|startoftext|>', vocab['<|startoftext|>']],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: '<|endoftext|>', continuing_subword_prefix: '',
      end_of_word_suffix: '</w>', fuse_unk: false, byte_fallback: false, vocab, merges,
    },
  };
}

export class PromptTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly maxLength: number,
    private readonly padId: number,
  ) {}

  /** Loads tokenizer/ of an SD export (or any folder in that shape). */
  static fromFolder(folder: string, maxLength?: number): PromptTokenizer {
    const config = readJson<TokenizerConfig>(folder, 'tokenizer_config.json', false) ?? {};
    let json: Record<string, unknown>;
    if (existsSync(join(folder, 'tokenizer.json'))) {
      json = readJson(folder, 'tokenizer.json', true);
    } else if (existsSync(join(folder, 'vocab.json'))) {
      if (!existsSync(join(folder, 'merges.txt'))) throw new ModelFolderError(folder, 'merges.txt', 'is missing (vocab.json needs it)');
      const vocab = readJson<Record<string, number>>(folder, 'vocab.json', true);
      const merges = readFileSync(join(folder, 'merges.txt'), 'utf8')
        .split('\n')
        .filter((line) => line.length > 0 && !line.startsWith('#version'));
      json = clipTokenizerJson(vocab, merges);
    } else {
      throw new ModelFolderError(folder, 'tokenizer.json', 'is missing (or vocab.json + merges.txt)');
    }
    const tokenizer = new Tokenizer(json, config);
    const length = maxLength ?? config.model_max_length;
    if (!length || length > 100_000) {
      throw new ModelFolderError(folder, 'tokenizer_config.json', 'model_max_length is missing; pass the text encoder length');
    }
    const padToken = tokenText(config.pad_token) ?? tokenText(config.eos_token) ?? '<|endoftext|>';
    const padId = tokenizer.encode(padToken, { add_special_tokens: false }).ids[0];
    if (padId === undefined) throw new ModelFolderError(folder, 'tokenizer_config.json', `pad_token "${padToken}" is not in the vocabulary`);
    return new PromptTokenizer(tokenizer, length, padId);
  }

  /** Ids with start and end tokens, no padding. */
  encode(text: string): number[] {
    return this.tokenizer.encode(text).ids;
  }

  /** Pads or cuts to maxLength; a cut keeps the end token last, as CLIP's tokenizer does. */
  tokenize(text: string): TokenizedPrompt {
    const ids = this.encode(text);
    const tokenCount = ids.length;
    const truncated = tokenCount > this.maxLength;
    const out = truncated ? [...ids.slice(0, this.maxLength - 1), ids[ids.length - 1]!] : [...ids];
    while (out.length < this.maxLength) out.push(this.padId);
    return { ids: out, tokenCount, truncated };
  }
}
