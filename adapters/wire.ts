// The one place that builds the house's parts from configuration.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Personalizer } from '../pipeline/personalizer.ts';
import { AttributeCatalog, type WorldVocabularyLike } from '../prefs/attributes.ts';
import { LocalAttributeExtractor } from '../prefs/local-extractor.ts';
import type { AttributeExtractor, Embedder } from '../prefs/ports.ts';
import { attributeSpace } from '../prefs/attribute-space.ts';
import { isotropicPrior, priorFromJson, type PopulationPriorJson } from '../prefs/prior.ts';
import { PRIOR_FILE, type PopulationPriorsJson } from '../pipeline/population.ts';
import { AttributeJudge } from './onnx/attribute-judge.ts';
import { ClipEmbedder } from './onnx/clip-embedder.ts';
import { OnnxSdModel } from './onnx/sd-model.ts';
import { parseDevice } from './onnx/providers.ts';
import type { DiffusionModel } from '../pipeline/diffusion/model.ts';
import { TextToImage } from '../pipeline/diffusion/text-to-image.ts';
import type { DiffusionBackend } from '../pipeline/ports.ts';
import type { AtelierConfig } from './config.ts';
import { LlmAttributeExtractor } from './huggingface/llm-attributes.ts';
import { PromptTokenizer } from './onnx/tokenizer.ts';
import { RefitThread } from './refit/refit-thread.ts';
import { remoteBackendSettings, remoteExtractorSettings } from './huggingface/from-env.ts';
import { RemoteTextToImage } from './huggingface/text-to-image.ts';

export const DEFAULT_MODEL_DIR = resolve(import.meta.dirname, '..', 'models', 'atelier-tiny');

export interface ModelConfig {
  modelDir?: string;
  device?: string;
  threads?: number;
  log?: (line: string) => void;
}

export function loadDiffusionModel(config: ModelConfig = {}): Promise<DiffusionModel> {
  return OnnxSdModel.load(config.modelDir ?? DEFAULT_MODEL_DIR, {
    device: parseDevice(config.device ?? 'auto'),
    threads: config.threads,
    log: config.log ?? ((line) => console.error(line)),
  });
}

export const DEFAULT_EMBEDDER_DIR = resolve(DEFAULT_MODEL_DIR, 'clip');

export function loadEmbedder(config: ModelConfig = {}): Promise<ClipEmbedder> {
  return ClipEmbedder.load(config.modelDir ?? DEFAULT_EMBEDDER_DIR, {
    device: parseDevice(config.device ?? 'cpu'),
    threads: config.threads,
    log: config.log ?? ((line) => console.error(line)),
  });
}

export function loadJudge(values: Record<string, readonly string[]>, modelDir = DEFAULT_MODEL_DIR): Promise<AttributeJudge> {
  return AttributeJudge.load(resolve(modelDir, 'judge'), values);
}

/** The attribute vocabulary a pack ships (vocabulary.json beside model_index.json), if any. */
export function packVocabulary(modelDir = DEFAULT_MODEL_DIR): WorldVocabularyLike | undefined {
  const path = resolve(modelDir, 'vocabulary.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as WorldVocabularyLike) : undefined;
}

export interface PersonalizerConfig {
  modelDir?: string;
  embedder: Embedder;
  extractor?: AttributeExtractor;
  /**
   * Population priors fitted from many users (`npm run prior:fit`, pipeline/population.ts):
   * the first of these files that exists, else the model pack's prior.json, else isotropic.
   */
  priorPaths?: readonly string[];
}

export function createPersonalizer(config: PersonalizerConfig): Personalizer {
  const modelDir = config.modelDir ?? DEFAULT_MODEL_DIR;
  const catalog = AttributeCatalog.create({ world: packVocabulary(modelDir) });
  const dim = config.embedder.dim;
  const priorPath = [...(config.priorPaths ?? []), resolve(modelDir, 'prior.json')].find((p) => existsSync(p));
  const extractor = config.extractor ?? new LocalAttributeExtractor(catalog);
  if (!priorPath) return new Personalizer({ catalog, prior: isotropicPrior(dim, 1), embedder: config.embedder, extractor });
  const json = JSON.parse(readFileSync(priorPath, 'utf8')) as PopulationPriorsJson | PopulationPriorJson;
  // Either both priors (prior:fit) or an image-space prior alone.
  const prior = priorFromJson('image' in json ? json.image : json);
  if (prior.dim !== dim) throw new Error(`population prior ${priorPath} has ${prior.dim} dimensions; the embedder has ${dim}`);
  const attributePrior = 'attributes' in json ? attributeSpace(catalog).priorFromJson(json.attributes) : undefined;
  return new Personalizer({ catalog, prior, attributePrior, embedder: config.embedder, extractor });
}

// ---------------------------------------------------------------------------------------------
// The service (issue 5): configuration, stores and queue by mode, the generation runtime a
// worker loads once, webhooks. gallery/ and scripts/ reach all of it through this file.

export { readConfig, ConfigError, modeOf, type AtelierConfig, type Mode } from './config.ts';
export { buildServices, type GenerationQueue, type QueuedGeneration, type Services, type Stores } from './services.ts';
export { AdminKey } from './admin-key.ts';
export { WebhookPolicy, WebhookUrlError } from './webhooks/address-policy.ts';
export { WebhookSender, signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER, type WebhookTarget } from './webhooks/webhook-sender.ts';
export { serveGenerations, jobEndPayload } from './generation-worker.ts';
export { transcodeImage } from './files/transcode.ts';
export { validateGenerationRequest } from '../pipeline/generate-job.ts';
export { FeedbackLoop } from '../pipeline/feedback.ts';
export { fitPopulationPriors, NotEnoughHistoryError, PRIOR_FILE } from '../pipeline/population.ts';

/** What a prompt is checked against before it is queued: the text encoder's token budget. */
export type PromptLimits = Pick<DiffusionBackend, 'maxTokens' | 'countTokens'>;

export interface ServiceRuntime {
  /** Present where this process generates (embedded, `npm run worker`). */
  readonly backend?: DiffusionBackend;
  readonly limits: PromptLimits;
  readonly personalizer: Personalizer;
  release(): Promise<void>;
}

function embedderDir(modelDir: string | undefined): string {
  const own = modelDir && resolve(modelDir, 'clip');
  return own && existsSync(own) ? own : DEFAULT_EMBEDDER_DIR;
}

/**
 * Loads what this process needs, once. `generate`: the backend too (embedded server, worker): the
 * remote one when ATELIER_BACKEND asks for it, else the local model; without it only a token
 * counter, for the prompt's budget (scale-out API nodes). `freshProfiles`: rebuild a user's
 * profile from the store for every job instead of keeping it in memory, for workers whose users
 * rate through other processes.
 */
export async function loadServiceRuntime(
  config: AtelierConfig,
  options: { generate: boolean; freshProfiles?: boolean; env?: Readonly<Record<string, string | undefined>>; log?: (line: string) => void },
): Promise<ServiceRuntime> {
  const log = options.log ?? ((line: string) => console.error(line));
  const env = options.env ?? process.env;
  const remote = remoteBackendFromEnv(env, log);
  const extractor = remoteExtractorFromEnv(env, log);
  const embedder = await loadEmbedder({ modelDir: embedderDir(config.modelDir), log });
  const base = createPersonalizer({ embedder, priorPaths: [resolve(config.dataDir, PRIOR_FILE)], ...(config.modelDir && { modelDir: config.modelDir }), ...(extractor && { extractor }) });
  // Full refits on a thread of their own, with a catalog from the same vocabulary as base's.
  const refitter = new RefitThread({ world: packVocabulary(config.modelDir) });
  const personalizer = new Personalizer({ ...base.deps, refitter, ...(options.freshProfiles && { cacheSize: 0 }) });
  if (remote || !options.generate) {
    const tokenizer = remote ? undefined : PromptTokenizer.fromFolder(resolve(config.modelDir ?? DEFAULT_MODEL_DIR, 'tokenizer'));
    const limits: PromptLimits = remote ?? { maxTokens: tokenizer!.maxLength, countTokens: (text) => tokenizer!.tokenize(text).tokenCount };
    return {
      ...(remote && options.generate && { backend: remote }), limits, personalizer,
      release: async () => {
        await refitter.close();
        await embedder.release();
      },
    };
  }
  const model = await loadDiffusionModel({ modelDir: config.modelDir, device: config.device, log });
  const backend = new TextToImage(model);
  return {
    backend, limits: backend, personalizer,
    release: async () => {
      await refitter.close();
      await model.release();
      await embedder.release();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Remote backends (issue 8; env table in adapters/huggingface/README.md). Both return undefined
// unless the environment asks for them, so the embedded default stays local and offline:
//   const backend = remoteBackendFromEnv() ?? new TextToImage(await loadDiffusionModel(...));
//   const extractor = remoteExtractorFromEnv(); // else the local reader

/** CLIP's BPE, to count prompts against a hosted SD model's 77-token budget. */
export const DEFAULT_CLIP_TOKENIZER_DIR = resolve(import.meta.dirname, '..', 'models', 'clip-tokenizer');

/** ATELIER_BACKEND=huggingface: text-to-image on an Inference Provider or endpoint. */
export function remoteBackendFromEnv(env: Readonly<Record<string, string | undefined>> = process.env, log?: (line: string) => void): RemoteTextToImage | undefined {
  const settings = remoteBackendSettings(env);
  if (!settings) return undefined;
  const { maxTokens, ...options } = settings;
  const tokenizer = PromptTokenizer.fromFolder(DEFAULT_CLIP_TOKENIZER_DIR, maxTokens);
  return new RemoteTextToImage({ ...options, tokenizer, ...(log && { log }) });
}

/** ATELIER_ATTRIBUTE_LLM=<chat model>: comments read by a hosted LLM in ViPer's format. */
export function remoteExtractorFromEnv(env: Readonly<Record<string, string | undefined>> = process.env, log?: (line: string) => void): LlmAttributeExtractor | undefined {
  const settings = remoteExtractorSettings(env);
  return settings && new LlmAttributeExtractor({ ...settings, ...(log && { log }) });
}
