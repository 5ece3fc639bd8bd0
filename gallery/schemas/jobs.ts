// GET /v1/jobs/:id and its event stream.
import { Type } from '@sinclair/typebox';
import { Id, strict, Timestamp } from './common.ts';
import { ImageSummary } from './images.ts';

export const JobState = Type.Union(['queued', 'running', 'completed', 'failed', 'cancelled'].map((s) => Type.Literal(s)));

export const JobView = strict({
  id: Id,
  state: JobState,
  position: Type.Optional(Type.Integer({ minimum: 0, description: 'Queued jobs: how many start before this one' })),
  progress: Type.Optional(strict({ step: Type.Integer(), total: Type.Integer() })),
  images: Type.Array(ImageSummary),
  error: Type.Optional(Type.String()),
  created_at: Timestamp,
  finished_at: Type.Optional(Timestamp),
});

export const Cancelled = strict({ id: Id, state: Type.Literal('cancelled') });

export const EventStream = Type.String({
  description: 'Server-Sent Events: `queued` {position}, `running`, `progress` {step, total}, then one of `done` {images}, `failed` {error}, `cancelled` {reason}',
});
