// Sign-in with an API key: checked against the API before it is kept, so a wrong key gets a
// clear message here rather than failures on every screen.
import { useState } from 'preact/hooks';
import { ApiClient, ApiError } from '../api/client.ts';

export function SignInScreen({ notice, onSignedIn }: { notice: string | null; onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError('Paste your API key first.');
      return;
    }
    setChecking(true);
    setError(null);
    try {
      await new ApiClient(trimmed).profile();
      onSignedIn(trimmed);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401
        ? 'That API key was not accepted (401). Check that it was copied whole, or ask an admin for a new one.'
        : `Could not reach Atelier: ${(err as Error).message}`);
    } finally {
      setChecking(false);
    }
  };

  return (
    <section class="sign-in" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">Sign in</h2>
      {notice && <p class="error" role="alert">{notice}</p>}
      <form class="panel" onSubmit={submit}>
        <div class="field">
          <label for="api-key">API key</label>
          <input id="api-key" name="api_key" type="password" autoComplete="current-password" spellcheck={false}
            aria-describedby="api-key-help" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
          <small id="api-key-help">An admin creates your user and key (POST /v1/users). It stays in this browser only.</small>
        </div>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={checking}>{checking ? 'Checking…' : 'Sign in'}</button>
      </form>
    </section>
  );
}
