// "Which do you prefer?": the service proposes the pair it would learn most from; the user
// picks with a click or the left/right arrow keys, and the profile is refitted at once. A new
// user without images first queues the service's onboarding set (GET /v1/onboarding/set, then
// a batch): images that together show every style value, so every value can be chosen.
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { OnboardingPair } from '../api/types.ts';
import { watchJob } from '../api/job-events.ts';
import { useClient } from '../api/session.ts';
import { AuthImage } from '../components/auth-image.tsx';

export function OnboardingScreen() {
  const client = useClient();
  const [pair, setPair] = useState<OnboardingPair | null>(null);
  const [evidence, setEvidence] = useState<number | null>(null);
  const [chosen, setChosen] = useState(0);
  const [busy, setBusy] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    setBusy(true);
    setError(null);
    try {
      const [next, profile] = await Promise.all([client.nextPair(), client.profile()]);
      setPair(next);
      setEvidence(profile.evidence);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }, [client]);

  useEffect(() => void load(), [load]);

  const [making, setMaking] = useState<string | null>(null);
  const [unmounted] = useState(() => new AbortController());
  useEffect(() => () => unmounted.abort(), [unmounted]);
  const makeSet = useCallback(async () => {
    setError(null);
    try {
      setMaking('Queueing your onboarding set…');
      const { items } = await client.onboardingSet();
      const { job_ids: ids } = await client.generateBatch(items);
      // The jobs run in the order queued: follow their event streams one after another.
      for (const [done, id] of ids.entries()) {
        setMaking(`Generating your onboarding set: ${done} of ${ids.length} images done…`);
        await watchJob(client, id, () => {}, unmounted.signal);
      }
      setMaking(null);
      await load();
    } catch (err) {
      if (unmounted.signal.aborted) return;
      setMaking(null);
      setError((err as Error).message);
    }
  }, [client, load, unmounted]);

  const a = pair?.a ?? null;
  const b = pair?.b ?? null;
  const choose = useCallback(async (side: 'left' | 'right') => {
    if (!a || !b || busy) return;
    const [winner, loser] = side === 'left' ? [a, b] : [b, a];
    setBusy(true);
    try {
      await client.choose({ winner: winner.id, loser: loser.id });
      // Counted once the new profile is read: the counter never shows the choice without it.
      await load();
      setChosen((c) => c + 1);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  }, [a, b, busy, client, load]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target?.closest('input, textarea, select') || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === 'ArrowLeft') void choose('left');
      else if (event.key === 'ArrowRight') void choose('right');
      else return;
      event.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [choose]);

  return (
    <section aria-labelledby="onboarding-title">
      <h2 id="onboarding-title">Which do you prefer?</h2>
      <p class="counter" role="status" aria-live="polite">
        {evidence === null ? '…' : `Your profile rests on ${evidence} ${evidence === 1 ? 'rating or choice' : 'ratings and choices'}.`}
        {chosen > 0 && ` ${chosen} chosen this session.`}
      </p>
      {error && <p class="error" role="alert">{error}</p>}
      {!busy && !error && (!a || !b) && (
        <div class="empty">
          <p>The pairs come from your own images. Start with the onboarding set: 16 images that together show every style, personalization off.</p>
          {making
            ? <p role="status" aria-live="polite">{making}</p>
            : <button type="button" onClick={() => void makeSet()}>Make my onboarding set</button>}
        </div>
      )}
      {a && b && (
        <>
          <p class="hint">Press ← for the left one, → for the right one, or click an image.</p>
          <div class="pair" aria-busy={busy}>
            {([['left', a], ['right', b]] as const).map(([side, image]) => (
              <button type="button" key={`${side}-${image.id}`} class="pair-choice" disabled={busy} onClick={() => choose(side)}
                aria-label={`Prefer the ${side} image (${side === 'left' ? '←' : '→'}): ${image.prompt}`}>
                <AuthImage id={image.id} size="full" alt="" />
                <span class="caption">{side === 'left' ? '← Left' : 'Right →'}</span>
              </button>
            ))}
          </div>
        </>
      )}
    </section>
  );
}
