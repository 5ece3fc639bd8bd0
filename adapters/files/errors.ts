// A typed error so callers (the HTTP layer, the CLI) can answer "bad request" with the field and
// the choices instead of a generic 500.

export class ImageFormatError extends Error {
  override readonly name = 'ImageFormatError';
  readonly field: string;
  readonly received: unknown;
  readonly accepted: readonly string[];

  constructor(field: string, received: unknown, accepted: readonly string[]) {
    const choices = accepted.map((a) => `'${a}'`).join(', ');
    super(`${field} must be one of ${choices}; got ${typeof received === 'string' ? `'${received}'` : String(received)}`);
    this.field = field;
    this.received = received;
    this.accepted = accepted;
  }
}
