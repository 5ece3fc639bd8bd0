// Deterministic renderer of the world's scenes: one subject on a plain background, with
// known attributes. Output is 8-bit RGB, row-major, image_size x image_size.
import { mulberry32 } from './prng.ts';
import { vocabulary, type Attributes } from './vocabulary.ts';

const SUBSAMPLES = [0.25, 0.75];

function insideShape(shape: string, x: number, y: number, r: number): boolean {
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  switch (shape) {
    case 'circle':
      return x * x + y * y <= r * r;
    case 'square':
      return ax <= r * 0.8 && ay <= r * 0.8;
    case 'triangle': {
      // Upright triangle with its base at y = +0.8r and apex at y = -r.
      const top = -r;
      const bottom = 0.8 * r;
      if (y < top || y > bottom) return false;
      const halfWidth = ((y - top) / (bottom - top)) * r;
      return ax <= halfWidth;
    }
    case 'cross':
      return (ax <= r * 0.32 && ay <= r) || (ay <= r * 0.32 && ax <= r);
    default:
      throw new Error(`unknown shape "${shape}"; expected one of ${vocabulary.families.shape!.values.join(', ')}`);
  }
}

function lightFactor(lighting: string, x: number, y: number, size: number): number {
  const u = x / (size - 1);
  const v = y / (size - 1);
  switch (lighting) {
    case 'even':
      return 1;
    case 'left':
      return 1.2 - 0.6 * u;
    case 'top':
      return 1.2 - 0.6 * v;
    case 'spot': {
      const d = Math.hypot(u - 0.5, v - 0.5) / Math.SQRT1_2;
      return 1.2 - 0.75 * d;
    }
    default:
      throw new Error(`unknown lighting "${lighting}"; expected one of ${vocabulary.families.lighting!.values.join(', ')}`);
  }
}

/** Which colour a point of the subject takes for a texture: 1 = main colour, 0 = dark shade, -1 = background. */
function textureAt(texture: string, shape: string, x: number, y: number, r: number, px: number, py: number): number {
  switch (texture) {
    case 'flat':
      return 1;
    case 'stripes':
      return Math.floor(py / 3) % 2 === 0 ? 1 : 0;
    case 'checks':
      return (Math.floor(px / 4) + Math.floor(py / 4)) % 2 === 0 ? 1 : 0;
    case 'outline':
      return insideShape(shape, x, y, r - 3.2) ? -1 : 1;
    default:
      throw new Error(`unknown texture "${texture}"; expected one of ${vocabulary.families.texture!.values.join(', ')}`);
  }
}

/** Render a scene. The seed only moves the subject a little and varies its size. */
export function render(attrs: Attributes, seed: number): Uint8Array {
  const size = vocabulary.image_size;
  const rng = mulberry32(seed);
  const cx = size / 2 + (rng() * 4 - 2);
  const cy = size / 2 + (rng() * 4 - 2);
  const r = size * (0.3 + rng() * 0.06);
  const fg = vocabulary.palette.colour[attrs.colour!];
  const bg = vocabulary.palette.background[attrs.background!];
  if (!fg) throw new Error(`unknown colour "${attrs.colour}"`);
  if (!bg) throw new Error(`unknown background "${attrs.background}"`);
  const shape = attrs.shape!;
  const out = new Uint8Array(size * size * 3);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let cr = 0, cg = 0, cb = 0;
      for (const sy of SUBSAMPLES) {
        for (const sx of SUBSAMPLES) {
          const x = px + sx - cx;
          const y = py + sy - cy;
          let c: readonly number[] = bg;
          if (insideShape(shape, x, y, r)) {
            const t = textureAt(attrs.texture!, shape, x, y, r, px, py);
            c = t === 1 ? fg : t === 0 ? fg.map((v) => v * 0.45) : bg;
          }
          cr += c[0]!; cg += c[1]!; cb += c[2]!;
        }
      }
      const f = lightFactor(attrs.lighting!, px, py, size) / (SUBSAMPLES.length * SUBSAMPLES.length);
      const o = (py * size + px) * 3;
      out[o] = Math.min(255, Math.round(cr * f));
      out[o + 1] = Math.min(255, Math.round(cg * f));
      out[o + 2] = Math.min(255, Math.round(cb * f));
    }
  }
  return out;
}
