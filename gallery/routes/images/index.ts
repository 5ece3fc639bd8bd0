// The caller's gallery: list, one image (and why it was chosen), its file, and its rating.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { transcodeImage } from '../../../adapters/wire.ts';
import type { ImageFiles, ImageStore } from '../../../pipeline/ports.ts';
import type { RatingValue } from '../../../prefs/history.ts';
import type { FeedbackLanes } from '../../feedback-lanes.ts';
import { notFound } from '../../http-errors.ts';
import type { AppMetrics } from '../../metrics.ts';
import { authedErrors, bearer, IdParams } from '../../schemas/common.ts';
import { FileQuery, ImageDetail, ImageFile, ImageList, ImageListQuery, Rated, RatingBody } from '../../schemas/images.ts';
import { imageDetail, imageSummary, profileView } from '../../views.ts';

export interface ImageRoutesDeps {
  readonly images: ImageStore;
  readonly files: ImageFiles;
  readonly lanes: FeedbackLanes;
  readonly metrics: AppMetrics;
}

const asRating = (v: string): RatingValue => (v === 'like' || v === 'dislike' ? v : (Number(v) as RatingValue));

const images: FastifyPluginAsyncTypebox<ImageRoutesDeps> = async (fastify, deps) => {
  const mine = async (userId: string, id: string) => (await deps.images.getImage(userId, id)) ?? Promise.reject(notFound('image'));

  fastify.get('/images', {
    schema: { tags: ['images'], summary: 'Your images, newest first', security: bearer, querystring: ImageListQuery, response: { 200: ImageList, ...authedErrors() } },
  }, async (request) => {
    const { limit, cursor, rating, text } = request.query;
    const page = await deps.images.listImages(request.user.id, { limit, cursor, text, ...(rating !== undefined && { rating: asRating(rating) }) });
    return { images: page.images.map(imageSummary), ...(page.next && { next: page.next }) };
  });

  fastify.get('/images/:id', {
    schema: { tags: ['images'], summary: 'One image: parameters, scores, and why it was chosen', security: bearer, params: IdParams, response: { 200: ImageDetail, ...authedErrors() } },
  }, async (request) => imageDetail(await mine(request.user.id, request.params.id)));

  fastify.get('/images/:id/file', {
    schema: {
      tags: ['images'], summary: 'The image file', security: bearer, params: IdParams, querystring: FileQuery,
      response: { 200: { content: { 'image/png': { schema: ImageFile }, 'image/webp': { schema: ImageFile } } }, ...authedErrors() },
    },
  }, async (request, reply) => {
    const image = await mine(request.user.id, request.params.id);
    const { size = 'full', format = 'png' } = request.query;
    // Kept on disk: the full image as PNG, the thumbnail as WebP; the others are converted.
    let bytes = await deps.files.read(image.file.sha256, size);
    if (format !== (size === 'full' ? 'png' : 'webp')) bytes = await transcodeImage(bytes, format);
    return reply.type(`image/${format}`).header('cache-control', 'private, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff').send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  fastify.post('/images/:id/rating', {
    schema: { tags: ['images'], summary: 'Rate an image; your profile updates at once', security: bearer, params: IdParams, body: RatingBody, response: { 200: Rated, ...authedErrors(413, 415) } },
  }, async (request) => {
    const { value, comment } = request.body;
    const profile = await deps.lanes.record(request.user.id, { kind: 'rating', imageId: request.params.id, value: value as RatingValue, ...(comment && { comment }), at: Date.now() });
    deps.metrics.ratings.inc({ kind: 'rating' });
    return { image_id: request.params.id, rating: value, profile: profileView(profile) };
  });
};

export default images;
