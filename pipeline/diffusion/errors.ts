// Errors of the generation path. Input errors name the field and what would be accepted.
import { FieldError } from '../../prefs/errors.ts';

export class GenerationInputError extends FieldError {
  override readonly name = 'GenerationInputError';
}

/** Thrown when an AbortSignal stops a generation between two denoising steps. */
export class GenerationCancelledError extends Error {
  override readonly name = 'AbortError';
  constructor(
    readonly step: number,
    readonly reason?: unknown,
  ) {
    super(`generation cancelled before step ${step + 1}`);
  }
}
