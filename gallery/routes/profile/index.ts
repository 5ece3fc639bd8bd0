// GET/PUT/DELETE /v1/profile: what the service learned of the caller's taste.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FeedbackLoop } from '../../../pipeline/feedback.ts';
import type { FeedbackLanes } from '../../feedback-lanes.ts';
import { authedErrors, bearer } from '../../schemas/common.ts';
import { ProfileEdit, ProfileView } from '../../schemas/profile.ts';
import { profileView } from '../../views.ts';

const profile: FastifyPluginAsyncTypebox<{ feedback: FeedbackLoop; lanes: FeedbackLanes }> = async (fastify, { feedback, lanes }) => {
  fastify.get('/profile', {
    schema: { tags: ['profile'], summary: 'Your profile', security: bearer, response: { 200: ProfileView, ...authedErrors() } },
  }, async (request) => profileView(await feedback.profile(request.user.id)));

  fastify.put('/profile', {
    schema: { tags: ['profile'], summary: 'Edit liked and disliked attributes, or the strength', security: bearer, body: ProfileEdit, response: { 200: ProfileView, ...authedErrors(413, 415) } },
  }, async (request) => profileView(await lanes.exclusive(request.user.id, () => feedback.edit(request.user.id, request.body))));

  fastify.delete('/profile', {
    schema: { tags: ['profile'], summary: 'Start the profile over (your images and history stay)', security: bearer, response: { 200: ProfileView, ...authedErrors() } },
  }, async (request) => profileView(await lanes.exclusive(request.user.id, () => feedback.reset(request.user.id))));
};

export default profile;
