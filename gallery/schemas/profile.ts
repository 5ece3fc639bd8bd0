// GET/PUT/DELETE /v1/profile: what the service has learned, editable.
import { Type } from '@sinclair/typebox';
import { strict, Timestamp } from './common.ts';

const Attribute = strict({
  attribute: Type.String({ minLength: 1, maxLength: 60, description: "e.g. 'teal background'" }),
  weight: Type.Number({ exclusiveMinimum: 0, maximum: 10 }),
});

export const ProfileView = strict({
  liked: Type.Array(Attribute),
  disliked: Type.Array(Attribute),
  strength: Type.Number({ description: '0 = personalization off, 1 = full' }),
  evidence: Type.Integer({ description: 'Ratings and choices it rests on' }),
  updated_at: Timestamp,
});

export const ProfileEdit = strict({
  liked: Type.Optional(Type.Array(Attribute, { maxItems: 64 })),
  disliked: Type.Optional(Type.Array(Attribute, { maxItems: 64 })),
  strength: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
}, { minProperties: 1, description: 'Lists replace the current ones; an attribute left out is no longer liked (or disliked)' });
