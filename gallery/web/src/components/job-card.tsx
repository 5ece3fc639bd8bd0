// One job's live card: a progress bar fed by the job's events, a cancel button while it can
// still be stopped, the reason when it failed, and the kept images once it is done.
import { useEffect, useState } from 'preact/hooks';
import { FINISHED, watchJob, type JobStatus } from '../api/job-events.ts';
import { useClient } from '../api/session.ts';
import { href } from '../routing.ts';
import { AuthImage } from './auth-image.tsx';

function describe(status: JobStatus | null): string {
  if (!status) return 'Connecting…';
  switch (status.state) {
    case 'queued':
      if (status.position === undefined) return 'Queued';
      return status.position === 0 ? 'Queued: next in line' : `Queued: ${status.position} job${status.position === 1 ? '' : 's'} ahead`;
    case 'running':
      return status.total ? `Running: step ${status.step ?? 0} of ${status.total}` : 'Running';
    case 'completed':
      return `Done: ${status.imageIds.length} image${status.imageIds.length === 1 ? '' : 's'}`;
    case 'failed':
      return `Failed: ${status.error ?? 'no reason given'}`;
    case 'cancelled':
      return `Cancelled${status.error ? `: ${status.error}` : ''}`;
    default:
      return status.state;
  }
}

export interface JobCardProps {
  jobId: string;
  title: string;
  /** Full images instead of thumbnails (Compare shows them large). */
  large?: boolean;
}

export function JobCard({ jobId, title, large = false }: JobCardProps) {
  const client = useClient();
  const [status, setStatus] = useState<JobStatus | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);

  useEffect(() => {
    const abort = new AbortController();
    watchJob(client, jobId, setStatus, abort.signal).catch(
      (err: Error) => !abort.signal.aborted && setProblem(`Lost track of this job: ${err.message}`),
    );
    return () => abort.abort();
  }, [client, jobId]);

  const cancel = async () => {
    setCancelling(true);
    try {
      await client.cancel(jobId);
    } catch (err) {
      setProblem(`Could not cancel: ${(err as Error).message}`);
      setCancelling(false);
    }
  };

  const state = status?.state ?? 'queued';
  const finished = FINISHED.includes(state);
  // Indeterminate only while waiting to start; a stopped job keeps the bar where it stopped.
  const fraction = status?.total ? (status.step ?? 0) / status.total : 0;
  const value = state === 'completed' ? 1 : state === 'queued' || (state === 'running' && !status?.total) ? undefined : fraction;
  const text = describe(status);
  return (
    <article class={`job-card job-${state}`} data-job-id={jobId} data-state={state} aria-label={title}>
      <h3>{title}</h3>
      {/* Without a value a progress bar is indeterminate (queued); keys keep the two apart. */}
      {value === undefined
        ? <progress key="waiting" aria-label={`Progress of ${title}`} aria-valuetext={text} />
        : <progress key="known" max={1} value={value} aria-label={`Progress of ${title}`} aria-valuetext={text} />}
      <p class="job-status" role="status" aria-live="polite">{text}</p>
      {problem && <p class="error" role="alert">{problem}</p>}
      {!finished && (
        <button type="button" class="secondary" onClick={cancel} disabled={cancelling}>
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      )}
      {state === 'completed' && status && (
        <ul class={large ? 'thumb-grid large' : 'thumb-grid'} aria-label={`Images of ${title}`}>
          {status.imageIds.map((id, i) => (
            <li key={id}>
              <a href={href(['images', id])} aria-label={`Open image ${i + 1} of ${title}`}>
                <AuthImage id={id} size={large ? 'full' : 'thumb'} alt={`Image ${i + 1} of ${title}`} />
              </a>
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}
