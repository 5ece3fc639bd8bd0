// POST /v1/choices, GET /v1/onboarding/next-pair and GET /v1/onboarding/set.
import { Type } from '@sinclair/typebox';
import { Id, strict } from './common.ts';
import { GenerationBody } from './generations.ts';
import { ImageSummary } from './images.ts';
import { ProfileView } from './profile.ts';

export const ChoiceBody = strict({ winner: Id, loser: Id });

export const Chosen = strict({ winner: Id, loser: Id, profile: ProfileView });

export const NextPair = strict({
  a: Type.Union([ImageSummary, Type.Null()]),
  b: Type.Union([ImageSummary, Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
}, { description: 'Two of your images to choose between (POST /v1/choices); all null when there is nothing useful to ask' });

/** Images in an onboarding pool: the most FeedbackLoop.nextPair reads (its latest 64). */
const MAX_ONBOARDING_IMAGES = 64;

export const OnboardingSetQuery = strict({
  count: Type.Optional(Type.Integer({ minimum: 2, maximum: MAX_ONBOARDING_IMAGES, description: 'Images in the pool; default 16' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 0x7fffffff, description: "Another set (its images get seed, seed + 1, ...); absent: the service's own set, the same for everyone" })),
});

export const OnboardingSet = strict({
  items: Type.Array(GenerationBody),
}, { description: 'Generations that together show every style value the catalog knows; POST them as is to /v1/generations/batch, then choose between the pairs of GET /v1/onboarding/next-pair' });
