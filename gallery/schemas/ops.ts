// /healthz, /readyz and /metrics.
import { Type } from '@sinclair/typebox';
import { strict } from './common.ts';

export const Healthy = strict({ status: Type.Literal('ok') });

export const Readiness = strict({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Type.String(), { description: "'ok' or why not, per dependency" }),
});

export const MetricsText = Type.String({ description: 'Prometheus text exposition format' });
