// Compare: one prompt and one seed, generated with personalization off and on, side by side.
// One candidate each, so both images come from the very same seed and only the profile differs.
import { useState } from 'preact/hooks';
import { useClient } from '../api/session.ts';
import { JobCard } from '../components/job-card.tsx';
import { SeedField } from '../components/seed-field.tsx';
import { StrengthSlider } from '../components/strength-slider.tsx';

interface Pair {
  off: string;
  on: string;
  key: number;
}

export function CompareScreen() {
  const client = useClient();
  const [prompt, setPrompt] = useState('');
  const [seed, setSeed] = useState(() => String(Math.floor(Math.random() * 2 ** 31)));
  const [strength, setStrength] = useState(1);
  const [pair, setPair] = useState<Pair | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (strength === 0) {
      setError('Set a strength above off: the comparison is off against on.');
      return;
    }
    setSending(true);
    try {
      // Both jobs need the same seed: an empty box gets one rolled here, not by the server.
      const fixed = seed.trim() ? Number(seed) : Math.floor(Math.random() * 2 ** 31);
      setSeed(String(fixed));
      const base = { prompt, n: 1, candidates: 1, seed: fixed };
      const [off, on] = await Promise.all([
        client.generate({ ...base, personalization: 0 }),
        client.generate({ ...base, personalization: strength }),
      ]);
      setPair({ off: off.job_id, on: on.job_id, key: Date.now() });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSending(false);
    }
  };

  return (
    <section aria-labelledby="compare-title">
      <h2 id="compare-title">Compare</h2>
      <p class="hint">The same prompt and seed, without and with your profile.</p>
      <form class="panel" onSubmit={submit}>
        <div class="field">
          <label for="compare-prompt">Prompt</label>
          <textarea id="compare-prompt" rows={2} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
        </div>
        <div class="row">
          <SeedField value={seed} onChange={setSeed} />
          <StrengthSlider label="Personalization when on" value={strength} onChange={setStrength} />
        </div>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={sending}>{sending ? 'Sending…' : 'Compare'}</button>
      </form>
      {pair && (
        <div class="side-by-side" key={pair.key}>
          <JobCard jobId={pair.off} title="Personalization off" large />
          <JobCard jobId={pair.on} title="Personalization on" large />
        </div>
      )}
    </section>
  );
}
