// The browser's side of the HTTP API: every call carries the Bearer key, and every failure
// becomes an ApiError with the status and the server's own message, so screens can show it.
import type {
  BatchAccepted, ChoiceBody, GenerationBody, ImageDetail, ImageList, ImageListQuery, JobAccepted, JobView, OnboardingPair, OnboardingSet, ProfileBody,
  ProfileView, RatingBody,
} from './types.ts';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** Fastify answers errors as { statusCode, error, message }; anything else is shown as the status text. */
async function errorFrom(response: Response, path: string): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = (await response.json()) as { message?: unknown; error?: unknown };
    if (typeof body.message === 'string' && body.message) message = body.message;
    else if (typeof body.error === 'string' && body.error) message = body.error;
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(response.status, message, path);
}

export type ImageSize = 'thumb' | 'full';

/** Object URLs kept per client; the oldest are released past this many. */
const URL_CACHE = 300;

export class ApiClient {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(
    readonly apiKey: string,
    /** Called once a call answers 401: the key was revoked or mistyped. */
    private readonly onUnauthorized: (error: ApiError) => void = () => {},
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {}

  /** The raw response for a successful call; ApiError otherwise. */
  async request(method: string, path: string, options: { body?: unknown; signal?: AbortSignal; accept?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, accept: options.accept ?? 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.fetchImpl(path, {
      method, headers, signal: options.signal,
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    if (!response.ok) {
      const error = await errorFrom(response, path);
      if (error.status === 401) this.onUnauthorized(error);
      throw error;
    }
    return response;
  }

  private async json<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const response = await this.request(method, path, { body, signal });
    return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
  }

  generate(body: GenerationBody): Promise<JobAccepted> {
    return this.json('POST', '/v1/generations', body);
  }

  job(id: string, signal?: AbortSignal): Promise<JobView> {
    return this.json('GET', `/v1/jobs/${encodeURIComponent(id)}`, undefined, signal);
  }

  cancel(id: string): Promise<unknown> {
    return this.json('DELETE', `/v1/jobs/${encodeURIComponent(id)}`);
  }

  images(query: ImageListQuery, signal?: AbortSignal): Promise<ImageList> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
    return this.json('GET', `/v1/images?${params}`, undefined, signal);
  }

  image(id: string, signal?: AbortSignal): Promise<ImageDetail> {
    return this.json('GET', `/v1/images/${encodeURIComponent(id)}`, undefined, signal);
  }

  async imageFile(id: string, size: ImageSize, signal?: AbortSignal): Promise<Blob> {
    const response = await this.request('GET', `/v1/images/${encodeURIComponent(id)}/file?size=${size}`, { signal, accept: 'image/*' });
    return response.blob();
  }

  /** A blob: URL of the image, fetched with the key (an <img src> cannot send it). */
  imageUrl(id: string, size: ImageSize): Promise<string> {
    const key = `${size}:${id}`;
    let url = this.urls.get(key);
    if (!url) {
      url = this.imageFile(id, size).then((blob) => URL.createObjectURL(blob));
      url.catch(() => this.urls.delete(key));
      this.urls.set(key, url);
      for (const [old, oldUrl] of this.urls) {
        if (this.urls.size <= URL_CACHE) break;
        this.urls.delete(old);
        void oldUrl.then((u) => URL.revokeObjectURL(u), () => {});
      }
    }
    return url;
  }

  rate(id: string, body: RatingBody): Promise<unknown> {
    return this.json('POST', `/v1/images/${encodeURIComponent(id)}/rating`, body);
  }

  choose(body: ChoiceBody): Promise<unknown> {
    return this.json('POST', '/v1/choices', body);
  }

  /** The service's onboarding set: generations whose images together show every style value. */
  onboardingSet(signal?: AbortSignal): Promise<OnboardingSet> {
    return this.json('GET', '/v1/onboarding/set', undefined, signal);
  }

  generateBatch(items: GenerationBody[]): Promise<BatchAccepted> {
    return this.json('POST', '/v1/generations/batch', { items });
  }

  nextPair(signal?: AbortSignal): Promise<OnboardingPair> {
    return this.json('GET', '/v1/onboarding/next-pair', undefined, signal);
  }

  profile(signal?: AbortSignal): Promise<ProfileView> {
    return this.json('GET', '/v1/profile', undefined, signal);
  }

  saveProfile(body: ProfileBody): Promise<ProfileView> {
    return this.json('PUT', '/v1/profile', body);
  }

  resetProfile(): Promise<unknown> {
    return this.json('DELETE', '/v1/profile');
  }
}
