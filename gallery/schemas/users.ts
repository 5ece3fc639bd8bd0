// POST /v1/users (admin key).
import { Type } from '@sinclair/typebox';
import { Id, strict } from './common.ts';

export const NewUser = strict({ name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }) });

export const CreatedUser = strict({
  id: Id,
  name: Type.String(),
  api_key: Type.String({ description: 'Shown once; only its hash is kept' }),
});
