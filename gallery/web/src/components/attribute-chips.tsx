// Editable chips of weighted attributes: reweight with the number box, remove with ×, add with
// the text box below.
import { useState } from 'preact/hooks';
import type { WeightedAttribute } from '../api/types.ts';

export function AttributeChips({ side, items, onChange }: { side: 'liked' | 'disliked'; items: readonly WeightedAttribute[]; onChange: (items: WeightedAttribute[]) => void }) {
  const [draft, setDraft] = useState('');
  const title = side === 'liked' ? 'Liked' : 'Disliked';
  const add = (event: Event) => {
    event.preventDefault();
    const attribute = draft.trim().toLowerCase();
    if (!attribute || items.some((a) => a.attribute === attribute)) return;
    onChange([...items, { attribute, weight: 1 }]);
    setDraft('');
  };
  return (
    <div class={`chip-box ${side}`}>
      <h3 id={`${side}-title`}>{title}</h3>
      {items.length === 0 && <p class="empty">Nothing yet.</p>}
      <ul class="chips" aria-labelledby={`${side}-title`}>
        {items.map((a, i) => (
          <li class="chip" key={a.attribute} data-attribute={a.attribute}>
            <span>{a.attribute}</span>
            <input type="number" min={0.05} max={10} step="any" value={Math.round(a.weight * 100) / 100} class="weight-input"
              aria-label={`Weight of ${side} “${a.attribute}”`}
              onChange={(e) => {
                const weight = Number(e.currentTarget.value);
                if (weight > 0) onChange(items.map((x, j) => (j === i ? { ...x, weight } : x)));
              }} />
            <button type="button" class="icon remove" aria-label={`Remove ${side} “${a.attribute}”`} onClick={() => onChange(items.filter((_, j) => j !== i))}>×</button>
          </li>
        ))}
      </ul>
      <form class="inline" onSubmit={add}>
        <label class="visually-hidden" for={`add-${side}`}>Add a {side} attribute</label>
        <input id={`add-${side}`} type="text" placeholder={side === 'liked' ? 'e.g. teal background' : 'e.g. dark lighting'} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        <button type="submit" class="secondary">Add</button>
      </form>
    </div>
  );
}
