// Pairwise choices, the onboarding question "which of these two?" and the images to ask it about.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FeedbackLoop } from '../../../pipeline/feedback.ts';
import type { ImageStore } from '../../../pipeline/ports.ts';
import type { FeedbackLanes } from '../../feedback-lanes.ts';
import { HttpError } from '../../http-errors.ts';
import type { AppMetrics } from '../../metrics.ts';
import { authedErrors, bearer } from '../../schemas/common.ts';
import { ChoiceBody, Chosen, NextPair, OnboardingSet, OnboardingSetQuery } from '../../schemas/feedback.ts';
import { imageSummary, profileView } from '../../views.ts';

export interface FeedbackRoutesDeps {
  readonly images: Pick<ImageStore, 'getImage'>;
  readonly feedback: FeedbackLoop;
  readonly lanes: FeedbackLanes;
  readonly metrics: AppMetrics;
}

const feedback: FastifyPluginAsyncTypebox<FeedbackRoutesDeps> = async (fastify, deps) => {
  fastify.post('/choices', {
    schema: { tags: ['images'], summary: 'Say which of two of your images you prefer', security: bearer, body: ChoiceBody, response: { 200: Chosen, ...authedErrors(413, 415) } },
  }, async (request) => {
    const { winner, loser } = request.body;
    if (winner === loser) throw new HttpError(400, 'loser: an image other than the winner', 'loser');
    const profile = await deps.lanes.record(request.user.id, { kind: 'choice', winner, loser, at: Date.now() });
    deps.metrics.ratings.inc({ kind: 'choice' });
    return { winner, loser, profile: profileView(profile) };
  });

  fastify.get('/onboarding/set', {
    schema: { tags: ['images'], summary: 'The generations of a designed onboarding pool, to queue as a batch', security: bearer, querystring: OnboardingSetQuery, response: { 200: OnboardingSet, ...authedErrors() } },
  }, async (request) => {
    const { count = 16, seed } = request.query;
    return { items: deps.feedback.onboardingPool({ count, ...(seed !== undefined && { seed }) }) };
  });

  fastify.get('/onboarding/next-pair', {
    schema: { tags: ['images'], summary: 'The most informative pair of your images to choose between next', security: bearer, response: { 200: NextPair, ...authedErrors() } },
  }, async (request) => {
    const userId = request.user.id;
    const pair = await deps.feedback.nextPair(userId);
    const [a, b] = pair ? await Promise.all([deps.images.getImage(userId, pair.a), deps.images.getImage(userId, pair.b)]) : [];
    if (!pair || !a || !b) return { a: null, b: null, reason: null };
    return { a: imageSummary(a), b: imageSummary(b), reason: pair.reason };
  });
};

export default feedback;
