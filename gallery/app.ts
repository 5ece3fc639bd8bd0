// The Atelier app as one Fastify plugin: validation and the error handler, the third-party
// plugins (overload, rate limits, OpenAPI), authentication, then the routes. Everything it needs
// comes in through AppDeps (built in one place: server.ts, or a test); nothing is global.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AdminKey, GenerationQueue, PromptLimits, Services, WebhookPolicy, WebhookSender } from '../adapters/wire.ts';
import type { FeedbackLoop } from '../pipeline/feedback.ts';
import type { HistoryStore, ImageFiles, ImageStore, UserStore } from '../pipeline/ports.ts';
import { FeedbackLanes } from './feedback-lanes.ts';
import { JobEvents } from './job-events.ts';
import { AppMetrics } from './metrics.ts';
import auth from './plugins/app/auth.ts';
import errorHandler from './plugins/app/error-handler.ts';
import validation from './plugins/app/validation.ts';
import webUi, { type WebUiOptions } from './plugins/app/web-ui.ts';
import rateLimit from './plugins/external/rate-limit.ts';
import swaggerUi from './plugins/external/swagger-ui.ts';
import swagger from './plugins/external/swagger.ts';
import underPressure, { type PressureSettings } from './plugins/external/under-pressure.ts';
import feedbackRoutes from './routes/feedback/index.ts';
import generationRoutes from './routes/generations/index.ts';
import imageRoutes from './routes/images/index.ts';
import jobRoutes from './routes/jobs/index.ts';
import opsRoutes from './routes/ops/index.ts';
import profileRoutes from './routes/profile/index.ts';
import userRoutes from './routes/users/index.ts';

export interface AppDeps {
  readonly users: UserStore;
  readonly images: ImageStore;
  readonly history: HistoryStore;
  readonly files: ImageFiles;
  readonly queue: GenerationQueue;
  readonly feedback: FeedbackLoop;
  /** The prompt's token budget, checked before a job is queued. */
  readonly limits: PromptLimits;
  readonly adminKey: AdminKey;
  readonly webhookPolicy: WebhookPolicy;
  /** Sends the webhooks of jobs cancelled here. */
  readonly webhooks: WebhookSender;
  readonly rateLimit: { readonly max: number; readonly redis?: Services['redis'] };
  readonly pressure?: PressureSettings;
  readonly web?: WebUiOptions;
  readonly version?: string;
}

async function atelier(fastify: FastifyInstance, deps: AppDeps): Promise<void> {
  await fastify.register(validation);
  await fastify.register(errorHandler);
  await fastify.register(underPressure, deps.pressure ?? {});
  await fastify.register(rateLimit, deps.rateLimit);
  await fastify.register(swagger, { version: deps.version ?? '0.0.0' });
  await fastify.register(swaggerUi);
  await fastify.register(auth, { users: deps.users, adminKey: deps.adminKey });

  const events = new JobEvents(deps.queue);
  const metrics = new AppMetrics(() => events.counts());
  events.attach(metrics);
  fastify.addHook('onClose', async () => events.close());

  const { queue, images, files, feedback, limits, webhookPolicy, webhooks } = deps;
  const lanes = new FeedbackLanes(feedback);
  await fastify.register(opsRoutes, {
    metrics,
    probes: { store: () => images.getJob('readyz', 'readyz'), queue: () => queue.get('readyz') },
  });
  await fastify.register(async (v1) => {
    v1.addHook('onRequest', v1.requireUser);
    await v1.register(generationRoutes, { queue, images, limits, webhookPolicy, events, metrics });
    await v1.register(jobRoutes, { queue, images, events, webhooks });
    await v1.register(imageRoutes, { images, files, lanes, metrics });
    await v1.register(feedbackRoutes, { images, feedback, lanes, metrics });
    await v1.register(profileRoutes, { feedback, lanes });
  }, { prefix: '/v1' });
  await fastify.register(async (admin) => {
    admin.addHook('onRequest', admin.requireAdmin);
    await admin.register(userRoutes, { users: deps.users });
  }, { prefix: '/v1' });
  await fastify.register(webUi, deps.web ?? {});
}

export default fp(atelier, { name: 'atelier' });
