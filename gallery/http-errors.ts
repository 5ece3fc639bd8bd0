// Every error becomes one JSON shape ({statusCode, error, message, field?}). Input errors from
// any layer (schema, recipe, store, queue, prefs, webhooks) answer 400 naming the field as the
// request spelled it; "not found or not yours" answers 404; a 5xx says nothing of its cause.
import { STATUS_CODES } from 'node:http';

export interface HttpErrorBody {
  statusCode: number;
  error: string;
  message: string;
  field?: string;
}

/** A 4xx raised by a route, naming the field. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new HttpError(404, `${what} not found`);

/** The recipe's names for request fields, as the API spells them. */
const API_FIELD: Record<string, string> = { negativePrompt: 'negative_prompt', imageId: 'image_id' };

export const apiField = (field: string): string => field.split('.').map((part) => API_FIELD[part] ?? part).join('.');

// The input errors of the layers below all carry `field` (and `accepted`); they are matched by
// name so the gallery needs no value import from pipeline/ or adapters/.
const INPUT_ERRORS = new Set(['GenerationInputError', 'StoreInputError', 'JobQueueInputError', 'PrefsInputError', 'WebhookUrlError', 'ImageFormatError']);

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  parentSchema?: { description?: string };
}

/** `/items/3/prompt` -> `items[3].prompt`. */
function pathOf(instancePath: string): string {
  return instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function validationError(errors: AjvError[], context: string | undefined): HttpErrorBody {
  // A failed union reports each branch, then itself: the union's description says what it takes.
  const e = errors.find((x) => x.keyword === 'anyOf') ?? errors[0]!;
  const base = pathOf(e.instancePath);
  const join = (name: string) => (base ? `${base}.${name}` : name);
  let field = base;
  let message: string;
  if (e.keyword === 'additionalProperties') {
    field = join(String(e.params.additionalProperty));
    message = `${field}: unknown field`;
  } else if (e.keyword === 'required') {
    field = join(String(e.params.missingProperty));
    message = `${field}: required`;
  } else {
    const accepted = e.keyword === 'anyOf' ? e.parentSchema?.description ?? e.message : e.message;
    message = `${field || context || 'request'}: ${accepted}`;
  }
  return { statusCode: 400, error: 'Bad Request', message: context && context !== 'body' ? `${message} (in ${context})` : message, field: field || (context ?? 'body') };
}

function body(statusCode: number, message: string, field?: string): HttpErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(field !== undefined && { field }) };
}

export function toHttpError(err: unknown): HttpErrorBody {
  const e = err as Error & { statusCode?: number; code?: string; field?: string; validation?: AjvError[]; validationContext?: string; kind?: string };
  if (Array.isArray(e?.validation) && e.validation.length > 0) return validationError(e.validation, e.validationContext);
  if (err instanceof HttpError) return body(err.statusCode, err.message, err.field);
  if (INPUT_ERRORS.has(e?.name) && typeof e.field === 'string') {
    const field = apiField(e.field);
    return body(400, e.message.startsWith(`${e.field}:`) ? `${field}:${e.message.slice(e.field.length + 1)}` : e.message, field);
  }
  if (e?.name === 'StoreNotFoundError') return body(404, `${e.kind ?? 'record'} not found`);
  const status = e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return body(413, 'body: larger than this route accepts', 'body');
    if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.name === 'SyntaxError' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return body(400, `body: not valid JSON (${e.message})`, 'body');
    }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return body(415, 'content-type: send application/json', 'content-type');
    return body(status, e.message);
  }
  // Overload answers 503 as itself; anything else is ours, and says nothing.
  if (status === 503) return body(503, 'Service Unavailable: try again shortly');
  return body(500, 'Internal Server Error');
}
