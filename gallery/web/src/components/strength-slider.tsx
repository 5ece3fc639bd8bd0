// Personalization strength, 0..1: the far left is "off" (the profile is not used at all).
import { useId } from 'preact/hooks';

export function strengthText(value: number): string {
  return value === 0 ? 'off' : `${Math.round(value * 100)}%`;
}

export function StrengthSlider({ label, value, onChange }: { label: string; value: number; onChange: (value: number) => void }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <div class="inline">
        <input
          id={id} type="range" min={0} max={1} step={0.05} value={value}
          aria-valuetext={strengthText(value)} onInput={(e) => onChange(Number(e.currentTarget.value))}
        />
        <output for={id} class="slider-value">{strengthText(value)}</output>
      </div>
    </div>
  );
}
