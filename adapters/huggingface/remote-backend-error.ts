// The one error a remote call (text-to-image, chat completion) ends with. It carries what was
// asked and how the server answered, never a secret: HttpPolicy redacts the access token from
// the message and the URL before building it, and the library's own error (whose request still
// holds the headers) is not kept as a cause.

/** What was asked: enough to find the call in the provider's logs. */
export interface RemoteRequest {
  readonly method: string;
  /** Redacted. */
  readonly url: string;
  readonly model?: string;
}

export class RemoteBackendError extends Error {
  override readonly name = 'RemoteBackendError';
  constructor(
    message: string,
    readonly request: RemoteRequest,
    /** The last HTTP status seen; undefined when no response came (timeout, network). */
    readonly status: number | undefined,
    /** Tries made, the first included. */
    readonly tries: number,
    /** Whether a later try could succeed (timeouts, 429, 5xx, network errors). */
    readonly transient: boolean,
  ) {
    super(message);
  }
}
