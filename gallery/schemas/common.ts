// Shapes every route shares: ids, the error body, and `strict`, which refuses unknown fields.
import { Type, type TProperties, type TSchema } from '@sinclair/typebox';

/** An object that refuses fields it does not declare (400 naming the field). */
export const strict = <T extends TProperties>(properties: T, options: { description?: string; minProperties?: number } = {}) =>
  Type.Object(properties, { additionalProperties: false, ...options });

/** Users, jobs and images: letters, digits, _ and - only, so no id can ever name a path. */
export const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$', description: '1 to 128 letters, digits, _ or -' });

export const IdParams = strict({ id: Id });

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601' });

export const ErrorBody = strict({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  field: Type.Optional(Type.String({ description: 'The offending field, as the request spelled it (items[2].prompt)' })),
}, { description: 'Every 4xx and 5xx answers this; a 5xx never carries details' });

const ERROR_TEXT: Record<number, string> = {
  400: 'Bad input; `field` names it',
  401: 'No or unknown API key',
  403: 'The key may not use this route',
  404: 'Not found, or not yours',
  409: 'Conflicts with the current state',
  413: 'Body too large',
  415: 'Unsupported content type',
  429: 'Rate limit exceeded; see Retry-After',
  500: 'Internal error (no details)',
  503: 'Overloaded or not ready; see Retry-After',
};

/** Error responses for a route: the ones every route can answer, plus `extra`. */
export function errors(...extra: number[]): Record<number, TSchema> {
  const codes = [...new Set([400, 429, 500, 503, ...extra])].sort();
  return Object.fromEntries(codes.map((code) => [code, { ...ErrorBody, description: ERROR_TEXT[code] }]));
}

/** Routes behind an API key: they can also answer 401 and 404. */
export const authedErrors = (...extra: number[]) => errors(401, 404, ...extra);

export const bearer = [{ bearerAuth: [] }];
