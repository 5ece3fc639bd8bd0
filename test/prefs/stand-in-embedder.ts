// A stand-in Embedder, for tests and for running the preference benchmark before the model
// pack's CLIP embedder exists. It imitates what contrastive training produces: an image
// embedding close to the normalized sum of directions of the attributes the image shows.
// Hand-made pixel statistics (subject and border colours against the palette, neighbour
// contrast inside the subject, light falloff) give soft attribute probabilities; fixed
// random directions turn them into a 64-d unit vector, plus nuisance (subject size and
// position) and a little noise. Texts embed as the same directions of the words they name.
import type { Embedder, RgbImage } from '../../prefs/ports.ts';

type Rgb = readonly [number, number, number];
export interface StandInPalette {
  readonly colour: Readonly<Record<string, Rgb>>;
  readonly background: Readonly<Record<string, Rgb>>;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const chroma = (c: Rgb | number[]) => { const s = c[0]! + c[1]! + c[2]! + 1e-6; return [c[0]! / s, c[1]! / s, c[2]! / s]; };
const dist2 = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);
const softmax = (scores: number[]) => { const m = Math.max(...scores); const e = scores.map((s) => Math.exp(s - m)); const z = e.reduce((a, b) => a + b, 0); return e.map((v) => v / z); };
const sig = (z: number) => 1 / (1 + Math.exp(-z));

/** Soft probabilities per family: colour, background, texture, lighting, and two nuisance numbers. */
export function attributeProbabilities(img: RgbImage, palette: StandInPalette): { probs: Record<string, number[]>; nuisance: number[] } {
  const { pixels, width: w, height: h } = img;
  const px = (x: number, y: number): number[] => [pixels[(y * w + x) * 3]!, pixels[(y * w + x) * 3 + 1]!, pixels[(y * w + x) * 3 + 2]!];
  const lum = (c: number[]) => (c[0]! + c[1]! + c[2]!) / 3;
  const border: number[][] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (x < 2 || y < 2 || x >= w - 2 || y >= h - 2) border.push(px(x, y));
  const bgNames = Object.keys(palette.background);
  const bgFeat = (c: number[] | Rgb) => [...chroma(c).map((v) => 3 * v), lum(c as number[]) / 255];
  const bgProbs = bgNames.map(() => 0);
  for (const c of border) softmax(bgNames.map((n) => -dist2(bgFeat(c), bgFeat(palette.background[n]!)) / 0.01)).forEach((p, i) => (bgProbs[i]! += p / border.length));
  const bgMean = [0, 1, 2].map((k) => border.reduce((s, c) => s + c[k]!, 0) / border.length);
  // Subject pixels: far from the background's colour (either its chroma or its brightness).
  const isSubject = (c: number[]) => dist2(chroma(c), chroma(bgMean)) > 0.004 || Math.abs(lum(c) - lum(bgMean)) > 0.35 * lum(bgMean) + 12;
  const colNames = Object.keys(palette.colour);
  const colProbs = colNames.map(() => 0);
  let subject = 0, sx = 0, sy = 0, fv = 0, fh = 0, pairs = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const c = px(x, y);
    if (!isSubject(c)) continue;
    subject++; sx += x; sy += y;
    softmax(colNames.map((n) => -dist2(chroma(c), chroma(palette.colour[n]!)) / 0.004)).forEach((p, i) => (colProbs[i]! += p));
    // Texture: brightness steps between neighbours of the same hue (shading keeps the hue; edges do not).
    const step = (d: number[]) => isSubject(d) && dist2(chroma(d), chroma(c)) < 0.002 ? (Math.abs(lum(d) - lum(c)) > 0.25 * Math.max(lum(c), lum(d)) ? 1 : 0) : -1;
    const v = y + 1 < h ? step(px(x, y + 1)) : -1, hz = x + 1 < w ? step(px(x + 1, y)) : -1;
    if (v >= 0) { pairs++; fv += v; }
    if (hz >= 0) fh += hz;
  }
  const n = Math.max(1, subject);
  fv /= Math.max(1, pairs); fh /= Math.max(1, pairs);
  // Outline: the subject's middle shows the background.
  const mid = [0, 1, 2].map((k) => { let s = 0; for (let y = h / 2 - 2; y < h / 2 + 2; y++) for (let x = w / 2 - 2; x < w / 2 + 2; x++) s += px(x, y)[k]!; return s / 16; });
  const bgBest = palette.background[bgNames[bgProbs.indexOf(Math.max(...bgProbs))]!]!;
  const colBest = palette.colour[colNames[colProbs.indexOf(Math.max(...colProbs))]!]!;
  const hollow = softmax([-dist2(chroma(mid), chroma(bgBest)) / 0.002 - (Math.abs(lum(mid) - lum([...bgBest])) / (lum([...bgBest]) + 30)) * 4, -dist2(chroma(mid), chroma(colBest)) / 0.002])[0]!;
  const busyV = sig((fv - 0.12) * 40), busyH = sig((fh - 0.1) * 40);
  const texture = [(1 - busyV) * (1 - busyH), busyV * (1 - busyH), busyV * busyH, 0].map((p) => p * (1 - hollow));
  texture[3] = hollow;
  const region = (fx: (x: number, y: number) => boolean) => { let s = 0, k = 0; for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (fx(x, y)) { s += lum(px(x, y)); k++; } return s / Math.max(1, k); };
  const edge = (x: number, y: number) => x < 3 || y < 3 || x >= w - 3 || y >= h - 3;
  const left = region((x, y) => edge(x, y) && x < w / 3), right = region((x, y) => edge(x, y) && x >= (2 * w) / 3);
  const top = region((x, y) => edge(x, y) && y < h / 3), bottom = region((x, y) => edge(x, y) && y >= (2 * h) / 3);
  const corners = region((x, y) => (x < 3 || x >= w - 3) && (y < 3 || y >= h - 3));
  const sides = region((x, y) => edge(x, y) && Math.abs(x - w / 2) < 4 || edge(x, y) && Math.abs(y - h / 2) < 4);
  const lr = (left - right) / (left + right + 1), tb = (top - bottom) / (top + bottom + 1), sc = (sides - corners) / (sides + corners + 1);
  const lighting = softmax([-(lr ** 2 + tb ** 2 + sc ** 2) * 200 + 1, (lr - 0.15) * 40, (tb - 0.15) * 40, (sc - 0.1) * 40 - Math.abs(lr) * 40 - Math.abs(tb) * 40]);
  return {
    probs: { colour: colProbs.map((p) => p / n), background: bgProbs, texture, lighting },
    nuisance: [subject / (w * h), (sx / n - w / 2) / w, (sy / n - h / 2) / h],
  };
}

export class StandInEmbedder implements Embedder {
  readonly dim: number;
  private readonly directions = new Map<string, number[]>();
  private readonly nuisance: number[][];

  constructor(private readonly palette: StandInPalette, private readonly families: Readonly<Record<string, readonly string[]>>, dim = 64, seed = 7) {
    this.dim = dim;
    const r = rng(seed);
    const direction = () => unit(Array.from({ length: dim }, () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r())));
    for (const [family, values] of Object.entries(families)) for (const v of values) this.directions.set(`${family}:${v}`, direction());
    this.nuisance = [direction(), direction(), direction()];
  }

  async embedImages(images: readonly RgbImage[]): Promise<number[][]> {
    return images.map((img) => {
      const { probs, nuisance } = attributeProbabilities(img, this.palette);
      const v = new Array(this.dim).fill(0);
      for (const [family, values] of Object.entries(this.families)) {
        values.forEach((value, i) => { const d = this.directions.get(`${family}:${value}`)!; const p = probs[family]?.[i] ?? 0; for (let k = 0; k < this.dim; k++) v[k] += p * d[k]!; });
      }
      nuisance.forEach((x, j) => { for (let k = 0; k < this.dim; k++) v[k] += x * this.nuisance[j]![k]!; });
      return unit(v);
    });
  }

  /** Sum of the directions of the family values a text names ("red", "teal", "striped"...). */
  async embedTexts(texts: readonly string[]): Promise<number[][]> {
    return texts.map((t) => {
      const v = new Array(this.dim).fill(0);
      const words = new Set(t.toLowerCase().split(/[^a-z]+/));
      for (const [key, d] of this.directions) if (words.has(key.split(':')[1]!)) for (let k = 0; k < this.dim; k++) v[k] += d[k]!;
      return unit(v);
    });
  }
}

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return n > 0 ? v.map((x) => x / n) : v.map((_, i) => (i === 0 ? 1 : 0));
}
