// A seed box with a dice button. Empty means "let the server pick".
import { useId } from 'preact/hooks';

/** The largest seed the API takes leaves room for the candidates' seeds (seed + i). */
const MAX_RANDOM_SEED = 2 ** 31 - 1;

export function SeedField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>Seed</label>
      <div class="inline">
        <input
          id={id} name="seed" type="number" inputMode="numeric" min={0} step={1} placeholder="random"
          value={value} onInput={(e) => onChange(e.currentTarget.value)}
        />
        <button type="button" class="secondary icon" aria-label="Roll a random seed" title="Roll a random seed"
          onClick={() => onChange(String(Math.floor(Math.random() * MAX_RANDOM_SEED)))}>
          ⚄ Roll
        </button>
      </div>
    </div>
  );
}
