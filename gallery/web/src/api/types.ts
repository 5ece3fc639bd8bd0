// The API's shapes, taken from the server's TypeBox schemas (gallery/schemas/) as types only:
// esbuild drops these imports, so no server code reaches the browser, and a schema change
// breaks `npm run typecheck` here instead of a screen at run time.
import type { Static } from '@sinclair/typebox';
import type * as Feedback from '../../../schemas/feedback.ts';
import type * as Generations from '../../../schemas/generations.ts';
import type * as Images from '../../../schemas/images.ts';
import type * as Jobs from '../../../schemas/jobs.ts';
import type * as Profile from '../../../schemas/profile.ts';

export type GenerationBody = Static<typeof Generations.GenerationBody>;
export type JobAccepted = Static<typeof Generations.JobAccepted>;

export type JobState = Static<typeof Jobs.JobState>;
export type JobView = Static<typeof Jobs.JobView>;

export type RatingValue = Static<typeof Images.RatingValue>;
export type ImageSummary = Static<typeof Images.ImageSummary>;
export type ImageDetail = Static<typeof Images.ImageDetail>;
export type ImageList = Static<typeof Images.ImageList>;
export type ImageListQuery = Static<typeof Images.ImageListQuery>;
export type RatingBody = Static<typeof Images.RatingBody>;

export type ChoiceBody = Static<typeof Feedback.ChoiceBody>;
export type OnboardingPair = Static<typeof Feedback.NextPair>;
export type OnboardingSet = Static<typeof Feedback.OnboardingSet>;
export type BatchAccepted = Static<typeof Generations.BatchAccepted>;

export type ProfileView = Static<typeof Profile.ProfileView>;
export type ProfileBody = Static<typeof Profile.ProfileEdit>;
export type WeightedAttribute = ProfileView['liked'][number];
