// The profile: what Atelier has learned (liked and disliked attributes with weights) and how
// strongly it applies it. Edits become stated preferences on the server.
import { useEffect, useState } from 'preact/hooks';
import type { ProfileView, WeightedAttribute } from '../api/types.ts';
import { useClient } from '../api/session.ts';
import { AttributeChips } from '../components/attribute-chips.tsx';
import { StrengthSlider } from '../components/strength-slider.tsx';

export function ProfileScreen() {
  const client = useClient();
  const [saved, setSaved] = useState<ProfileView | null>(null);
  const [liked, setLiked] = useState<WeightedAttribute[]>([]);
  const [disliked, setDisliked] = useState<WeightedAttribute[]>([]);
  const [strength, setStrength] = useState(1);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [confirmReset, setConfirmReset] = useState(false);

  const show = (profile: ProfileView) => {
    setSaved(profile);
    setLiked(profile.liked.map((a) => ({ attribute: a.attribute, weight: a.weight })));
    setDisliked(profile.disliked.map((a) => ({ attribute: a.attribute, weight: a.weight })));
    setStrength(profile.strength);
  };

  useEffect(() => {
    const abort = new AbortController();
    client.profile(abort.signal).then(show, (err: Error) => !abort.signal.aborted && setMessage({ text: err.message, error: true }));
    return () => abort.abort();
  }, [client]);

  const act = async (what: string, call: () => Promise<ProfileView>) => {
    setMessage(null);
    try {
      show(await call());
      setMessage({ text: what, error: false });
    } catch (err) {
      setMessage({ text: (err as Error).message, error: true });
    }
  };

  const save = (event: Event) => {
    event.preventDefault();
    void act('Profile saved.', () => client.saveProfile({ liked, disliked, strength }));
  };
  const reset = () => {
    setConfirmReset(false);
    void act('Profile reset: Atelier starts learning your taste again.', async () => {
      await client.resetProfile();
      return client.profile();
    });
  };

  if (!saved) return <section><h2>Profile</h2>{message ? <p class="error" role="alert">{message.text}</p> : <p role="status">Loading…</p>}</section>;
  return (
    <section aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <p class="counter">Learned from {saved.evidence} ratings and choices.</p>
      <div class="chip-columns">
        <AttributeChips side="liked" items={liked} onChange={setLiked} />
        <AttributeChips side="disliked" items={disliked} onChange={setDisliked} />
      </div>
      <form class="panel" onSubmit={save}>
        <StrengthSlider label="Strength" value={strength} onChange={setStrength} />
        <div class="inline">
          <button type="submit">Save profile</button>
          {!confirmReset && <button type="button" class="danger" onClick={() => setConfirmReset(true)}>Reset profile…</button>}
          {confirmReset && (
            <span role="group" aria-label="Confirm reset">
              <span>Forget everything learned?</span>
              <button type="button" class="danger" onClick={reset}>Yes, reset</button>
              <button type="button" class="secondary" onClick={() => setConfirmReset(false)}>Keep it</button>
            </span>
          )}
        </div>
      </form>
      {message && <p class={message.error ? 'error' : 'ok'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
    </section>
  );
}
