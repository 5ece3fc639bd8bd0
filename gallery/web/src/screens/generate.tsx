// Generate: the prompt form, and a live card per job sent from it (newest first).
import { useState } from 'preact/hooks';
import type { GenerationBody } from '../api/types.ts';
import { useClient } from '../api/session.ts';
import { JobCard } from '../components/job-card.tsx';
import { SeedField } from '../components/seed-field.tsx';
import { StrengthSlider } from '../components/strength-slider.tsx';

/** Number fields left empty are left out, so the server's defaults apply. */
function optionalNumber(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text);
}

export function GenerateScreen({ query }: { query: URLSearchParams }) {
  const client = useClient();
  const [prompt, setPrompt] = useState(query.get('prompt') ?? '');
  const [negative, setNegative] = useState(query.get('negative') ?? '');
  const [n, setN] = useState(query.get('n') ?? '2');
  const [candidates, setCandidates] = useState(query.get('candidates') ?? '');
  const [seed, setSeed] = useState(query.get('seed') ?? '');
  const [steps, setSteps] = useState(query.get('steps') ?? '');
  const [guidance, setGuidance] = useState(query.get('guidance') ?? '');
  const [strength, setStrength] = useState(Number(query.get('personalization') ?? 1));
  const [jobs, setJobs] = useState<{ id: string; title: string }[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setSending(true);
    const body: GenerationBody = {
      prompt,
      n: Number(n),
      personalization: strength,
      ...(negative.trim() && { negative_prompt: negative }),
    };
    for (const [key, text] of [['candidates', candidates], ['seed', seed], ['steps', steps], ['guidance', guidance]] as const) {
      const value = optionalNumber(text);
      if (value !== undefined) body[key] = value;
    }
    try {
      const { job_id } = await client.generate(body);
      const title = `“${prompt.length > 40 ? `${prompt.slice(0, 39)}…` : prompt || '(empty prompt)'}”`;
      setJobs((list) => [{ id: job_id, title }, ...list]);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSending(false);
    }
  };

  return (
    <section aria-labelledby="generate-title">
      <h2 id="generate-title">Generate</h2>
      <form class="panel" onSubmit={submit}>
        <div class="field">
          <label for="prompt">Prompt</label>
          <textarea id="prompt" name="prompt" rows={2} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="negative-prompt">Negative prompt</label>
          <textarea id="negative-prompt" name="negative_prompt" rows={1} value={negative} onInput={(e) => setNegative(e.currentTarget.value)} />
        </div>
        <div class="row">
          <div class="field">
            <label for="count">Number of images</label>
            <input id="count" name="n" type="number" min={1} step={1} required value={n} onInput={(e) => setN(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="candidates">Candidates</label>
            <input id="candidates" name="candidates" type="number" min={Number(n) || 1} step={1} placeholder="same as images"
              aria-describedby="candidates-help" value={candidates} onInput={(e) => setCandidates(e.currentTarget.value)} />
            <small id="candidates-help">Generated, then the best are kept for your taste.</small>
          </div>
          <SeedField value={seed} onChange={setSeed} />
        </div>
        <StrengthSlider label="Personalization" value={strength} onChange={setStrength} />
        <details>
          <summary>Advanced</summary>
          <div class="row">
            <div class="field">
              <label for="steps">Steps</label>
              <input id="steps" name="steps" type="number" min={1} step={1} placeholder="model default" value={steps} onInput={(e) => setSteps(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="guidance">Guidance</label>
              <input id="guidance" name="guidance" type="number" min={0} step={0.5} placeholder="model default" value={guidance} onInput={(e) => setGuidance(e.currentTarget.value)} />
            </div>
          </div>
        </details>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={sending}>{sending ? 'Sending…' : 'Generate'}</button>
      </form>
      <div class="jobs" aria-label="Jobs">
        {jobs.map((job) => <JobCard key={job.id} jobId={job.id} title={job.title} />)}
      </div>
    </section>
  );
}
