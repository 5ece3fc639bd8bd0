// POST /v1/choices and GET /v1/onboarding/next-pair.
import { Type } from '@sinclair/typebox';
import { Id, strict } from './common.ts';
import { ImageSummary } from './images.ts';
import { ProfileView } from './profile.ts';

export const ChoiceBody = strict({ winner: Id, loser: Id });

export const Chosen = strict({ winner: Id, loser: Id, profile: ProfileView });

export const NextPair = strict({
  a: Type.Union([ImageSummary, Type.Null()]),
  b: Type.Union([ImageSummary, Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
}, { description: 'Two of your images to choose between (POST /v1/choices); all null when there is nothing useful to ask' });
