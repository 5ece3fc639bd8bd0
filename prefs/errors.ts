// Errors of the preference code. Input errors name the field and what would be accepted,
// like the generation path's; nothing here ever carries a secret.
export class PrefsInputError extends Error {
  override readonly name = 'PrefsInputError';
  constructor(
    readonly field: string,
    readonly accepted: string,
    readonly received: unknown,
  ) {
    super(`${field}: ${accepted} (got ${preview(received)})`);
  }
}

/** A short, safe rendering of a rejected value: absurd inputs must not produce absurd messages. */
function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
