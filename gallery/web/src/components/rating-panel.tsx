// Rating an image: like / dislike or 1-5 stars (one value, as the API takes it), and a comment
// that the attribute extractor reads ("too dark", "love the stripes").
import { useState } from 'preact/hooks';
import type { RatingValue } from '../api/types.ts';
import { useClient } from '../api/session.ts';

// Plain symbols: emoji fonts are missing on many Linux desktops and would show as boxes.
const THUMBS: { value: RatingValue; label: string; icon: string }[] = [
  { value: 'like', label: 'Like', icon: '♥' },
  { value: 'dislike', label: 'Dislike', icon: '✕' },
];
const STARS: RatingValue[] = [1, 2, 3, 4, 5];

export function RatingPanel({ imageId, current, onSaved }: { imageId: string; current?: RatingValue; onSaved?: (value: RatingValue) => void }) {
  const client = useClient();
  const [value, setValue] = useState<RatingValue | undefined>(current);
  const [comment, setComment] = useState('');
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [saving, setSaving] = useState(false);

  const save = async (event: Event) => {
    event.preventDefault();
    if (value === undefined) {
      setMessage({ text: 'Choose like, dislike or a number of stars first.', error: true });
      return;
    }
    setSaving(true);
    setMessage(null);
    try {
      await client.rate(imageId, { value, ...(comment.trim() && { comment: comment.trim() }) });
      setMessage({ text: comment.trim() ? 'Rating and comment saved: your profile is updated.' : 'Rating saved: your profile is updated.', error: false });
      setComment('');
      onSaved?.(value);
    } catch (err) {
      setMessage({ text: `Could not save: ${(err as Error).message}`, error: true });
    } finally {
      setSaving(false);
    }
  };

  const option = (v: RatingValue, label: string, content: string) => (
    <label class={`rating-option${value === v ? ' selected' : ''}`} key={String(v)}>
      <input type="radio" name={`rating-${imageId}`} value={String(v)} checked={value === v} onChange={() => setValue(v)} aria-label={label} />
      <span aria-hidden="true">{content}</span>
    </label>
  );

  return (
    <form class="panel rating-panel" onSubmit={save} aria-label="Rate this image">
      <fieldset>
        <legend>Your rating</legend>
        <div class="rating-options">
          {THUMBS.map((t) => option(t.value, t.label, `${t.icon} ${t.label}`))}
          <span class="divider" aria-hidden="true">or</span>
          {STARS.map((s) => option(s, `${s} star${s === 1 ? '' : 's'}`, `${'★'.repeat(s as number)}`))}
        </div>
      </fieldset>
      <div class="field">
        <label for={`comment-${imageId}`}>Comment (what you like or dislike about it)</label>
        <textarea id={`comment-${imageId}`} rows={2} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      </div>
      <button type="submit" disabled={saving}>{saving ? 'Saving…' : 'Save rating'}</button>
      {message && <p class={message.error ? 'error' : 'ok'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
    </form>
  );
}
