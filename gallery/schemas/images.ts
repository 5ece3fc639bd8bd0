// The gallery: GET /v1/images, /v1/images/:id, its file, and POST /v1/images/:id/rating.
import { Type } from '@sinclair/typebox';
import { Id, strict, Timestamp } from './common.ts';
import { ProfileView } from './profile.ts';

const RATING_TEXT = "'like', 'dislike' or 1..5";

/** As stored and answered: like, dislike, or 1..5 stars. */
export const RatingValue = Type.Union([Type.Literal('like'), Type.Literal('dislike'), Type.Integer({ minimum: 1, maximum: 5 })], { description: RATING_TEXT });

/** The same in a query string, where every value is text. */
const RatingFilter = Type.Union(['like', 'dislike', '1', '2', '3', '4', '5'].map((v) => Type.Literal(v)), { description: RATING_TEXT });

export const ImageSummary = strict({
  id: Id,
  job_id: Id,
  prompt: Type.String(),
  seed: Type.Integer(),
  width: Type.Integer(),
  height: Type.Integer(),
  rating: Type.Optional(RatingValue),
  created_at: Timestamp,
  thumb_url: Type.String(),
  file_url: Type.String(),
});

const WeightedAttribute = strict({ attribute: Type.String(), weight: Type.Number() });

export const ImageDetail = strict({
  ...ImageSummary.properties,
  negative_prompt: Type.String(),
  rewritten_prompt: Type.String({ description: 'The prompt the model was given, after personalization' }),
  params: strict({ steps: Type.Number(), guidance: Type.Number(), scheduler: Type.String(), model: Type.String() }),
  scores: Type.Record(Type.String(), Type.Number(), { description: 'The reranker\'s scores (preference, faithfulness, total, rank, of)' }),
  attributes: Type.Array(Type.String()),
  explanation: Type.Optional(Type.String({ description: 'Why it was chosen, in words' })),
  profile: Type.Union([strict({
    liked: Type.Array(WeightedAttribute), disliked: Type.Array(WeightedAttribute), strength: Type.Number(), evidence: Type.Integer(),
  }), Type.Null()], { description: 'The profile the job used; null when personalization was off' }),
});

export const ImageListQuery = strict({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Default 20' })),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'The `next` of the previous page' })),
  rating: Type.Optional(RatingFilter),
  text: Type.Optional(Type.String({ maxLength: 200, description: 'Case-insensitive part of the prompt' })),
});

export const ImageList = strict({ images: Type.Array(ImageSummary), next: Type.Optional(Type.String()) });

export const FileQuery = strict({
  size: Type.Optional(Type.Union([Type.Literal('thumb'), Type.Literal('full')], { description: "'thumb' or 'full' (default)" })),
  format: Type.Optional(Type.Union([Type.Literal('png'), Type.Literal('webp')], { description: "'png' (default) or 'webp'" })),
});

export const ImageFile = Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary', description: 'The image bytes (image/png or image/webp)' });

export const RatingBody = strict({
  value: RatingValue,
  comment: Type.Optional(Type.String({ maxLength: 2000, description: 'Free text; liked and disliked attributes are read from it' })),
});

export const Rated = strict({ image_id: Id, rating: RatingValue, profile: ProfileView });
