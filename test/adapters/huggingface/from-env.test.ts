import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../../adapters/config.ts';
import { HF_ROUTER_CHAT_URL, remoteBackendSettings, remoteExtractorSettings } from '../../../adapters/huggingface/from-env.ts';
import { remoteBackendFromEnv, remoteExtractorFromEnv } from '../../../adapters/wire.ts';

const TOKEN = 'hf_envSECRET1234567890';
const configError = (variable: string) => (e: unknown) => e instanceof ConfigError && e.variable === variable && !e.message.includes(TOKEN);

test('nothing remote unless asked: the default stays local and offline', () => {
  assert.equal(remoteBackendSettings({}), undefined);
  assert.equal(remoteBackendSettings({ ATELIER_BACKEND: 'local', HF_TOKEN: TOKEN, HF_MODEL: 'x' }), undefined);
  assert.equal(remoteExtractorSettings({ HF_TOKEN: TOKEN }), undefined);
  assert.equal(remoteBackendFromEnv({}), undefined);
  assert.equal(remoteExtractorFromEnv({}), undefined);
});

test('the remote backend from env: provider through the router, or an endpoint', () => {
  assert.deepEqual(remoteBackendSettings({ ATELIER_BACKEND: 'huggingface', HF_MODEL: 'stabilityai/sd-turbo', HF_PROVIDER: 'fal-ai', HF_TOKEN: TOKEN, HF_SIZE: '1024x768', HF_STEPS: '4', HF_GUIDANCE: '0', HF_TIMEOUT_MS: '90000', HF_CONCURRENCY: '2' }), {
    model: 'stabilityai/sd-turbo', provider: 'fal-ai', accessToken: TOKEN, timeoutMs: 90_000, concurrency: 2,
    defaults: { steps: 4, guidance: 0, width: 1024, height: 768 }, maxTokens: 77,
  });
  const t2i = remoteBackendFromEnv({ ATELIER_BACKEND: 'huggingface', HF_MODEL: 'my-sd', HF_ENDPOINT_URL: 'http://127.0.0.1:9/models/my-sd' }, () => {})!;
  assert.equal(t2i.provider, 'remote:endpoint');
  assert.equal(t2i.acceptsEmbeddings, false);
  assert.deepEqual([t2i.maxTokens, t2i.countTokens('a photo of a cat')], [77, 7]);
  assert.equal(remoteBackendFromEnv({ ATELIER_BACKEND: 'huggingface', HF_MODEL: 'm', HF_TOKEN: TOKEN })!.provider, 'remote:auto');
});

test('bad settings stop the start, naming the variable and never echoing the token', () => {
  const hf = { ATELIER_BACKEND: 'huggingface', HF_MODEL: 'm', HF_TOKEN: TOKEN };
  assert.throws(() => remoteBackendSettings({ ATELIER_BACKEND: 'replicate' }), configError('ATELIER_BACKEND'));
  assert.throws(() => remoteBackendSettings({ ATELIER_BACKEND: 'huggingface', HF_TOKEN: TOKEN }), configError('HF_MODEL'));
  assert.throws(() => remoteBackendSettings({ ATELIER_BACKEND: 'huggingface', HF_MODEL: 'm' }), configError('HF_TOKEN'));
  assert.throws(() => remoteBackendSettings({ ...hf, HF_PROVIDER: 'nowhere' }), configError('HF_PROVIDER'));
  assert.throws(() => remoteBackendSettings({ ...hf, HF_PROVIDER: 'fal-ai', HF_ENDPOINT_URL: 'https://e.example' }), configError('HF_PROVIDER'));
  assert.throws(() => remoteBackendSettings({ ...hf, HF_ENDPOINT_URL: `ftp://user:${TOKEN}@e.example` }), configError('HF_ENDPOINT_URL'));
  assert.throws(() => remoteBackendSettings({ ...hf, HF_SIZE: '1001x1000' }), configError('HF_SIZE'));
  assert.throws(() => remoteBackendSettings({ ...hf, HF_TIMEOUT_MS: '-1' }), configError('HF_TIMEOUT_MS'));
});

test('the attribute LLM from env: the router with a token, or any OpenAI-compatible endpoint', () => {
  assert.deepEqual(remoteExtractorSettings({ ATELIER_ATTRIBUTE_LLM: 'Qwen/Qwen2.5-7B-Instruct', HF_TOKEN: TOKEN }), { endpointUrl: HF_ROUTER_CHAT_URL, model: 'Qwen/Qwen2.5-7B-Instruct', accessToken: TOKEN });
  assert.deepEqual(remoteExtractorSettings({ ATELIER_ATTRIBUTE_LLM: 'tiny', HF_LLM_ENDPOINT_URL: 'http://127.0.0.1:8080/v1' }), { endpointUrl: 'http://127.0.0.1:8080/v1', model: 'tiny' });
  assert.throws(() => remoteExtractorSettings({ ATELIER_ATTRIBUTE_LLM: 'tiny' }), configError('HF_TOKEN'));
  assert.ok(remoteExtractorFromEnv({ ATELIER_ATTRIBUTE_LLM: 'tiny', HF_TOKEN: TOKEN }));
});
