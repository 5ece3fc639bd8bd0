// Two Ajv instances: bodies are JSON and are taken as sent (no "3" for 3, unknown fields refused,
// never silently dropped); params and query strings are text, so their numbers are coerced.
// Only JSON bodies are parsed: anything else is 415, not a string to validate.
import { Ajv, type Options } from 'ajv';
import type { FastifyInstance, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';

const COMMON: Options = { removeAdditional: false, useDefaults: true, allErrors: false, verbose: true, strict: false };

async function validation(fastify: FastifyInstance): Promise<void> {
  const body = new Ajv({ ...COMMON, coerceTypes: false });
  const text = new Ajv({ ...COMMON, coerceTypes: 'array' });
  fastify.removeContentTypeParser('text/plain');
  fastify.setValidatorCompiler(({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) => (httpPart === 'body' ? body : text).compile(schema));
}

export default fp(validation, { name: 'validation' });
