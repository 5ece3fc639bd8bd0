// The remote backends' settings from the environment, checked once at start (adapters/wire.ts
// builds the adapters from them). Unset means local: nothing here reaches the network unless
// ATELIER_BACKEND or ATELIER_ATTRIBUTE_LLM asks for it. The table is in README.md beside this file.
import { PROVIDERS_OR_POLICIES } from '@huggingface/inference';
import { ConfigError } from '../config.ts';
import type { LlmAttributeOptions } from './llm-attributes.ts';
import type { RemoteTextToImageOptions } from './text-to-image.ts';

type Env = Readonly<Record<string, string | undefined>>;

export const HF_ROUTER_CHAT_URL = 'https://router.huggingface.co/v1';

function text(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function number(env: Env, name: string, min: number, max: number, integer: boolean): number | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const shape = integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  if (!shape.test(raw) || value < min || value > max) throw new ConfigError(name, `${integer ? 'an integer' : 'a number'} in ${min}..${max}`, raw);
  return value;
}

function httpUrl(env: Env, name: string): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  let protocol: string;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    throw new ConfigError(name, 'an http(s) URL', '<not a URL>');
  }
  // The value may hold credentials: only its scheme is ever echoed.
  if (protocol !== 'http:' && protocol !== 'https:') throw new ConfigError(name, 'an http(s) URL', protocol);
  return raw;
}

/** Settings shared by both adapters; HF_TOKEN is never echoed. */
function shared(env: Env) {
  const accessToken = text(env, 'HF_TOKEN');
  const timeoutMs = number(env, 'HF_TIMEOUT_MS', 1, 3_600_000, true);
  const retries = number(env, 'HF_RETRIES', 0, 10, true);
  return { ...(accessToken && { accessToken }), ...(timeoutMs !== undefined && { timeoutMs }), ...(retries !== undefined && { retries }) };
}

export type RemoteBackendSettings = Omit<RemoteTextToImageOptions, 'tokenizer' | 'fetch' | 'log'> & { readonly maxTokens: number };

/** undefined when ATELIER_BACKEND is unset or "local". */
export function remoteBackendSettings(env: Env = process.env): RemoteBackendSettings | undefined {
  const backend = text(env, 'ATELIER_BACKEND') ?? 'local';
  if (backend === 'local') return undefined;
  if (backend !== 'huggingface') throw new ConfigError('ATELIER_BACKEND', 'local or huggingface', backend);
  const model = text(env, 'HF_MODEL');
  if (!model) throw new ConfigError('HF_MODEL', 'a model id (or a name for HF_ENDPOINT_URL) when ATELIER_BACKEND=huggingface', undefined);
  const endpointUrl = httpUrl(env, 'HF_ENDPOINT_URL');
  const provider = text(env, 'HF_PROVIDER');
  if (provider && endpointUrl) throw new ConfigError('HF_PROVIDER', 'unset when HF_ENDPOINT_URL is set (an endpoint implies its provider)', provider);
  if (provider && !(PROVIDERS_OR_POLICIES as readonly string[]).includes(provider)) throw new ConfigError('HF_PROVIDER', `one of ${PROVIDERS_OR_POLICIES.join(', ')}`, provider);
  const settings = shared(env);
  if (!endpointUrl && !settings.accessToken) throw new ConfigError('HF_TOKEN', 'set when ATELIER_BACKEND=huggingface goes through the Hugging Face router (no HF_ENDPOINT_URL)', undefined);
  const size = text(env, 'HF_SIZE');
  const match = size === undefined ? undefined : /^(\d+)x(\d+)$/.exec(size);
  if (size !== undefined && (!match || Number(match[1]) % 8 || Number(match[2]) % 8 || Number(match[1]) > 4096 || Number(match[2]) > 4096)) {
    throw new ConfigError('HF_SIZE', 'WIDTHxHEIGHT, multiples of 8 up to 4096, e.g. 1024x1024', size);
  }
  const steps = number(env, 'HF_STEPS', 1, 1000, true);
  const guidance = number(env, 'HF_GUIDANCE', 0, 50, false);
  const concurrency = number(env, 'HF_CONCURRENCY', 1, 16, true);
  return {
    model, ...(endpointUrl ? { endpointUrl } : { provider: provider ?? 'auto' }), ...settings,
    ...(concurrency !== undefined && { concurrency }),
    defaults: {
      ...(steps !== undefined && { steps }), ...(guidance !== undefined && { guidance }),
      ...(match && { width: Number(match[1]), height: Number(match[2]) }),
    },
    maxTokens: number(env, 'HF_MAX_TOKENS', 8, 4096, true) ?? 77,
  };
}

/** undefined when ATELIER_ATTRIBUTE_LLM is unset (the local reader then reads comments). */
export function remoteExtractorSettings(env: Env = process.env): Omit<LlmAttributeOptions, 'fetch' | 'log'> | undefined {
  const model = text(env, 'ATELIER_ATTRIBUTE_LLM');
  if (!model) return undefined;
  const endpointUrl = httpUrl(env, 'HF_LLM_ENDPOINT_URL') ?? HF_ROUTER_CHAT_URL;
  const settings = shared(env);
  if (endpointUrl === HF_ROUTER_CHAT_URL && !settings.accessToken) throw new ConfigError('HF_TOKEN', 'set when ATELIER_ATTRIBUTE_LLM goes through the Hugging Face router (no HF_LLM_ENDPOINT_URL)', undefined);
  return { endpointUrl, model, ...settings };
}
