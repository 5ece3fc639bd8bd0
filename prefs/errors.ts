// Input errors name the field and what would be accepted. FieldError is the one shape every
// boundary's input error takes (prefs, generation, queue, store): prefs/ is the lowest layer,
// so it lives here and the others extend it. Nothing here ever carries a secret.
export class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly accepted: string,
    readonly received: unknown,
  ) {
    super(`${field}: ${accepted} (got ${preview(received)})`);
  }
}

export class PrefsInputError extends FieldError {
  override readonly name = 'PrefsInputError';
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
