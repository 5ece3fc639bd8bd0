// Errors of the generation path. Input errors name the field and what would be accepted.
export class GenerationInputError extends Error {
  override readonly name = 'GenerationInputError';
  constructor(
    readonly field: string,
    readonly accepted: string,
    readonly received: unknown,
  ) {
    super(`${field}: ${accepted} (got ${JSON.stringify(received)})`);
  }
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
