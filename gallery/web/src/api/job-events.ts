// A job's live progress from GET /v1/jobs/:id/events. EventSource cannot send the
// Authorization header, so the stream is read with fetch and parsed here (the SSE format:
// blocks separated by a blank line, `event:` and `data:` fields). When the stream ends before
// the job does (a proxy timeout, a restart), the job is read once and the stream opened again.
import { ApiError, type ApiClient } from './client.ts';
import type { JobState, JobView } from './types.ts';

export interface JobStatus {
  readonly state: JobState;
  /** Queued: how many jobs start before this one. */
  readonly position?: number;
  /** Running: denoising step k of n. */
  readonly step?: number;
  readonly total?: number;
  /** Failed or cancelled: why. */
  readonly error?: string;
  readonly imageIds: readonly string[];
}

export const FINISHED: readonly JobState[] = ['completed', 'failed', 'cancelled'];

export interface ServerEvent {
  readonly event: string;
  readonly data: string;
}

/** Splits an SSE byte stream into events; comments (": keep-alive") are skipped. */
export async function* readServerEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  // A "\r\n" split across two chunks must not read as two line ends: a trailing "\r" waits.
  let pending = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      let text = pending + decoder.decode(value, { stream: true });
      pending = text.endsWith('\r') ? '\r' : '';
      if (pending) text = text.slice(0, -1);
      buffer += text.replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = text;
          else if (field === 'data') data.push(text);
        }
        if (data.length) yield { event, data: data.join('\n') };
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** The status a job's snapshot (GET /v1/jobs/:id) describes. */
export function statusOf(job: JobView): JobStatus {
  return {
    state: job.state,
    position: job.position,
    step: job.progress?.step,
    total: job.progress?.total,
    error: job.error,
    imageIds: job.images.map((im) => im.id),
  };
}

/** Folds one event into the status; unknown events leave it as it was. */
export function applyEvent(status: JobStatus, { event, data }: ServerEvent): JobStatus {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return status;
  }
  const num = (key: string) => (typeof payload[key] === 'number' ? (payload[key] as number) : undefined);
  const text = (key: string) => (typeof payload[key] === 'string' ? (payload[key] as string) : undefined);
  switch (event) {
    case 'queued':
      return { ...status, state: 'queued', position: num('position') };
    case 'running':
      return { ...status, state: 'running', position: undefined };
    case 'progress':
      return { ...status, state: 'running', step: num('step'), total: num('total') };
    case 'done':
    case 'completed': {
      const images = Array.isArray(payload.images) ? (payload.images as { id: string }[]).map((im) => im.id) : status.imageIds;
      return { ...status, state: 'completed', step: status.total, imageIds: images };
    }
    case 'failed':
      return { ...status, state: 'failed', error: text('error') ?? text('reason') };
    case 'cancelled':
      return { ...status, state: 'cancelled', error: text('reason') ?? text('error') };
    default:
      return status;
  }
}

/**
 * Follows a job until it finishes or the signal aborts, calling onStatus on every change.
 * Resolves with the final status (read back from GET /v1/jobs/:id, which lists the images).
 */
export async function watchJob(client: ApiClient, jobId: string, onStatus: (status: JobStatus) => void, signal: AbortSignal): Promise<JobStatus> {
  let status: JobStatus = statusOf(await client.job(jobId, signal));
  onStatus(status);
  for (let attempt = 0; !FINISHED.includes(status.state); attempt++) {
    // One connection per attempt, closed once the job has finished even if the server keeps it open.
    const connection = new AbortController();
    const stop = () => connection.abort();
    signal.addEventListener('abort', stop);
    try {
      const response = await client.request('GET', `/v1/jobs/${encodeURIComponent(jobId)}/events`, { signal: connection.signal, accept: 'text/event-stream' });
      if (!response.body) throw new Error('the events response has no body');
      for await (const event of readServerEvents(response.body)) {
        status = applyEvent(status, event);
        onStatus(status);
        if (FINISHED.includes(status.state)) break;
      }
    } catch (err) {
      if (signal.aborted || (err instanceof ApiError && err.status < 500)) throw err;
    } finally {
      signal.removeEventListener('abort', stop);
      connection.abort();
    }
    if (!FINISHED.includes(status.state)) await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt)));
    const fresh = statusOf(await client.job(jobId, signal));
    // The snapshot may lag an event just seen; keep the further progress.
    status = fresh.state === 'running' && status.state === 'running' && (status.step ?? 0) > (fresh.step ?? 0) ? { ...fresh, step: status.step } : fresh;
    onStatus(status);
  }
  return status;
}
