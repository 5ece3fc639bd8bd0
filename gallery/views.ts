// Store records as the API shows them: snake_case, ISO times, URLs instead of file paths, and
// nothing private (embeddings, the profile vector, paths on disk).
import type { Static } from '@sinclair/typebox';
import type { GenerationResult } from '../pipeline/generate-job.ts';
import type { JobInfo, JobRecord, StoredImage } from '../pipeline/ports.ts';
import type { Profile } from '../prefs/history.ts';
import type { ImageDetail, ImageSummary } from './schemas/images.ts';
import type { JobView } from './schemas/jobs.ts';
import type { ProfileView } from './schemas/profile.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function imageSummary(image: StoredImage): Static<typeof ImageSummary> {
  return {
    id: image.id,
    job_id: image.jobId,
    prompt: image.params.prompt,
    seed: image.seed,
    width: image.params.width,
    height: image.params.height,
    ...(image.rating !== undefined && { rating: image.rating }),
    created_at: iso(image.createdAt),
    thumb_url: `/v1/images/${image.id}/file?size=thumb&format=webp`,
    file_url: `/v1/images/${image.id}/file?size=full&format=png`,
  };
}

export function imageDetail(image: StoredImage): Static<typeof ImageDetail> {
  const { steps, guidance, scheduler, model } = image.params;
  const p = image.profile;
  return {
    ...imageSummary(image),
    negative_prompt: image.params.negativePrompt,
    rewritten_prompt: image.rewrittenPrompt,
    params: { steps, guidance, scheduler, model },
    scores: { ...image.scores },
    attributes: [...image.attributes],
    ...(image.explanation !== undefined && { explanation: image.explanation }),
    profile: p && { liked: [...p.liked], disliked: [...p.disliked], strength: p.strength, evidence: p.evidence },
  };
}

export function profileView(profile: Profile): Static<typeof ProfileView> {
  const updated = Date.parse(profile.updatedAt);
  return {
    liked: [...profile.liked],
    disliked: [...profile.disliked],
    strength: profile.strength,
    evidence: profile.evidence,
    updated_at: iso(Number.isNaN(updated) ? 0 : updated),
  };
}

/** A job still in the queue. */
export function jobView(info: JobInfo<unknown, GenerationResult>, images: readonly StoredImage[]): Static<typeof JobView> {
  return {
    id: info.id,
    state: info.state,
    ...(info.position !== undefined && { position: info.position }),
    ...(info.progress && { progress: { step: info.progress.step, total: info.progress.total } }),
    images: images.map(imageSummary),
    ...(info.error !== undefined && { error: info.error }),
    created_at: iso(info.enqueuedAt),
    ...(info.finishedAt !== undefined && { finished_at: iso(info.finishedAt) }),
  };
}

/** A job the queue has forgotten (past its retention): the store's record. */
export function jobRecordView(record: JobRecord, images: readonly StoredImage[]): Static<typeof JobView> {
  return {
    id: record.id,
    state: record.state,
    images: images.map(imageSummary),
    ...(record.error !== undefined && { error: record.error }),
    created_at: iso(record.createdAt),
    ...(record.finishedAt !== undefined && { finished_at: iso(record.finishedAt) }),
  };
}
