// One generation job, as a recipe: validate, history, profile, rewrite and conditioning,
// generate the candidates, embed and rerank, store. The queue calls runGenerationJob as its
// processor; the API calls validateGenerationRequest before enqueueing.
import { GenerationInputError } from './diffusion/errors.ts';
import { MAX_IMAGES } from './diffusion/text-to-image.ts';
import type { Personalizer } from './personalizer.ts';
import { PermanentJobError, type DiffusionBackend, type HistoryStore, type ImageFiles, type ImageStore, type NewImage, type RunningJob } from './ports.ts';

export interface GenerationRequest {
  readonly prompt: string;
  readonly negativePrompt?: string;
  /** Images kept. */
  readonly n: number;
  /** Images generated before the rerank keeps n; defaults to n. */
  readonly candidates?: number;
  readonly seed?: number;
  readonly steps?: number;
  readonly guidance?: number;
  /** 0 = off, 1 = full (the default); multiplies the profile's own strength. */
  readonly personalization?: number;
}

export interface GenerationJobData {
  readonly userId: string;
  readonly request: GenerationRequest;
}

export interface GenerationResult {
  readonly imageIds: string[];
  readonly rewrittenPrompt: string;
  readonly negativePrompt: string;
  readonly explanation: string;
}

export interface GenerationDeps {
  readonly backend: DiffusionBackend;
  readonly images: ImageStore;
  readonly history: HistoryStore;
  readonly files: ImageFiles;
  readonly personalizer: Personalizer;
  /** Which parts of personalization run, for ablations; each is on unless set false. */
  readonly features?: { readonly rewrite?: boolean; readonly guidance?: boolean; readonly rerank?: boolean };
}

export const LIMITS = { n: 8, candidates: 32, steps: 150, guidance: 30 } as const;

const FIELDS = ['prompt', 'negativePrompt', 'n', 'candidates', 'seed', 'steps', 'guidance', 'personalization'];

function need(ok: boolean, field: string, accepted: string, value: unknown): asserts ok {
  if (!ok) throw new GenerationInputError(field, accepted, value);
}

/** Checks a request from outside (API, queue) and returns it typed; errors name the field. */
export function validateGenerationRequest(input: unknown, backend: Pick<DiffusionBackend, 'maxTokens' | 'countTokens'>): GenerationRequest {
  need(typeof input === 'object' && input !== null && !Array.isArray(input), 'request', 'an object', input);
  const r = input as Record<string, unknown>;
  for (const key of Object.keys(r)) need(FIELDS.includes(key), key, `a known field (${FIELDS.join(', ')})`, key);
  need(typeof r.prompt === 'string', 'prompt', 'a string (it may be empty)', r.prompt);
  const tokens = backend.countTokens(r.prompt);
  need(tokens <= backend.maxTokens, 'prompt', `at most ${backend.maxTokens} tokens, start and end tokens included (this one needs ${tokens})`, r.prompt.length > 60 ? `${r.prompt.slice(0, 57)}...` : r.prompt);
  if (r.negativePrompt !== undefined) {
    need(typeof r.negativePrompt === 'string', 'negativePrompt', 'a string', r.negativePrompt);
    const neg = backend.countTokens(r.negativePrompt);
    need(neg <= backend.maxTokens, 'negativePrompt', `at most ${backend.maxTokens} tokens (this one needs ${neg})`, r.negativePrompt.slice(0, 60));
  }
  const int = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
  need(int(r.n, 1, LIMITS.n), 'n', `an integer in 1..${LIMITS.n}`, r.n);
  const n = r.n as number;
  if (r.candidates !== undefined) need(int(r.candidates, n, LIMITS.candidates), 'candidates', `an integer in n..${LIMITS.candidates} (n = ${n})`, r.candidates);
  if (r.seed !== undefined) need(int(r.seed, 0, 0xffffffff - LIMITS.candidates), 'seed', `an integer in 0..${0xffffffff - LIMITS.candidates}`, r.seed);
  if (r.steps !== undefined) need(int(r.steps, 1, LIMITS.steps), 'steps', `an integer in 1..${LIMITS.steps}`, r.steps);
  if (r.guidance !== undefined) need(typeof r.guidance === 'number' && r.guidance >= 0 && r.guidance <= LIMITS.guidance, 'guidance', `a number in 0..${LIMITS.guidance}`, r.guidance);
  if (r.personalization !== undefined) need(typeof r.personalization === 'number' && r.personalization >= 0 && r.personalization <= 1, 'personalization', 'a number in 0..1', r.personalization);
  return r as unknown as GenerationRequest;
}

/** The queue's processor; the job's record in the store ends failed or cancelled when the job does. */
export async function runGenerationJob(job: RunningJob<GenerationJobData>, deps: GenerationDeps, signal: AbortSignal): Promise<GenerationResult> {
  try {
    return await generate(job, deps, signal);
  } catch (err) {
    if (signal.aborted) await deps.images.finishJob(job.id, 'cancelled', String(signal.reason ?? 'cancelled')).catch(() => {});
    else if (err instanceof PermanentJobError) await deps.images.finishJob(job.id, 'failed', err.message).catch(() => {});
    throw err;
  }
}

async function generate(job: RunningJob<GenerationJobData>, deps: GenerationDeps, signal: AbortSignal): Promise<GenerationResult> {
  const { backend, personalizer, history, images, files } = deps;
  const { userId } = job.data;

  // 1. Validate: bad input fails for good, without retries.
  let request: GenerationRequest;
  try {
    request = validateGenerationRequest(job.data.request, backend);
  } catch (err) {
    if (err instanceof GenerationInputError) throw new PermanentJobError(err.message);
    throw err;
  }
  const count = request.candidates ?? request.n;
  if (count > MAX_IMAGES) throw new PermanentJobError(`candidates: at most ${MAX_IMAGES}`);
  const seed = request.seed ?? Math.floor(Math.random() * (0xffffffff - LIMITS.candidates));
  await images.createJob({ id: job.id, userId, request: { ...request, seed } });

  // 2. History and profile.
  // The saved profile is what the feedback loop wrote last (on any node); a user who never
  // rated anything gets one built from the history (the population prior).
  const profile = (await history.loadProfile(userId)) ?? personalizer.profileOf(await personalizer.state(userId, history));
  const strength = (request.personalization ?? 1) * profile.strength;
  const past = (await history.history(userId, { limit: 200 })).filter((e) => e.kind === 'prompt').map((e) => (e as { text: string }).text);

  // 3. Rewrite the prompt and build the conditioning (deps.features switches parts off).
  const on = { rewrite: true, guidance: true, rerank: true, ...deps.features };
  const plan = personalizer.plan(request.prompt, request.negativePrompt ?? '', profile, {
    strength, seed, pastPrompts: past, rewrite: on.rewrite, guidance: on.guidance && backend.acceptsEmbeddings, model: backend.defaults.personalization,
    tokens: { budget: backend.maxTokens, count: (t) => backend.countTokens(t) },
  });
  const remoteNote = !backend.acceptsEmbeddings && strength > 0 ? ' Conditioning embeddings cannot reach a remote model: only the rewritten prompts carry the profile.' : '';

  // 4. Generate the candidates, each from its own seed.
  const seeds = Array.from({ length: count }, (_, i) => seed + i);
  const result = await backend.generate(
    { prompt: plan.prompt, negativePrompt: plan.negativePrompt, seeds, steps: request.steps, guidance: request.guidance, extraGuidance: plan.guidance },
    { signal, onProgress: (p) => job.reportProgress({ step: p.step, total: p.total }) },
  );

  // 5. Embed, rerank, keep n.
  const described = await personalizer.describe(result.images, plan.prompt);
  const promptEmbedding = await personalizer.promptEmbedding(request.prompt);
  const candidates = result.images.map((im, i) => ({ id: String(im.seed), embedding: described[i]!.embedding, attributes: described[i]!.attributes }));
  const ranked = personalizer.rank(profile, candidates, promptEmbedding, request.n, on.rerank ? strength : 0);

  // 6. Store the kept images with their scores, the profile used and the explanation.
  const { steps, guidance, width, height, scheduler } = result.params;
  const explanation = plan.explanation.summary + remoteNote;
  const kept: NewImage[] = [];
  for (const c of ranked.filter((r) => r.kept).sort((a, b) => a.rank - b.rank)) {
    const image = result.images[c.index]!;
    const params = {
      prompt: request.prompt, negativePrompt: request.negativePrompt ?? '', steps, guidance, width, height, scheduler, model: backend.model,
      extras: { rewrittenPrompt: plan.prompt, rewrittenNegativePrompt: plan.negativePrompt, personalization: strength, guidanceTerms: plan.guidance, candidates: count },
    };
    const file = await files.save(image, params);
    kept.push({
      jobId: job.id, userId, seed: image.seed, file, params, rewrittenPrompt: plan.prompt,
      profile: strength > 0 ? profile : null,
      scores: { preference: c.preference, faithfulness: c.faithfulness, total: c.score, rank: c.rank, of: count },
      embedding: described[c.index]!.embedding, attributes: described[c.index]!.attributes,
      explanation: `${explanation.replace(/[.\s]*$/, ".")} Kept as #${c.rank} of ${count} candidates.`,
    });
  }
  const stored = await images.saveImages(kept);
  await history.append(userId, [{ kind: 'prompt', text: request.prompt, at: Date.now() }]);
  await images.finishJob(job.id, 'completed');
  return { imageIds: stored.map((s) => s.id), rewrittenPrompt: plan.prompt, negativePrompt: plan.negativePrompt, explanation };
}
