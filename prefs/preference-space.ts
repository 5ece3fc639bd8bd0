// The space a user's Bradley-Terry preference lives in: an image is phi(img) = [e(img); t(img)],
// its embedder's normalized embedding e (dim D) followed by the indicators t of the catalog
// attributes it carries (attribute-space.ts, A axes). The preference z_u = [w_u; v_u] is fitted
// as one model, P(a preferred to b) = sigmoid(z_u . (phi(a) - phi(b))), so the embedding and
// the attributes share the credit of each choice: v_u says which named attributes the person
// likes (the profile's lists, the rewrite, the guidance terms), w_u what the embedding sees
// beyond them (the rerank of real models whose images carry no attribute tags).
// The prior is block-diagonal: the image-space population prior over w and the attribute
// population prior over v (prior.ts), each fitted from everyone's history (pipeline/population.ts).
import { attributeSpace, type AttributeSpace } from './attribute-space.ts';
import type { AttributeCatalog } from './attributes.ts';
import type { GaussianPrior } from './bradley-terry.ts';
import type { PopulationPrior } from './prior.ts';

export interface ImageFeatures {
  readonly embedding: readonly number[];
  readonly attributes: readonly string[];
}

export class PreferenceSpace {
  readonly attributes: AttributeSpace;
  readonly attributePrior: PopulationPrior;
  /** The joint prior, N(mean, covariance), block-diagonal. */
  readonly prior: GaussianPrior;

  /**
   * Whether a prior over attribute weights was given (fitted from a population). Without one,
   * the profile's lists come from contrast statistics (profile.ts): after a few choices an
   * isotropic posterior is too timid to name what a person likes.
   */
  readonly attributePriorGiven: boolean;

  constructor(catalog: AttributeCatalog, readonly imagePrior: PopulationPrior, attributePrior?: PopulationPrior) {
    this.attributePriorGiven = attributePrior !== undefined;
    this.attributes = attributeSpace(catalog);
    const v = attributePrior ?? this.attributes.isotropicPrior();
    if (!this.attributes.fits(v)) throw new RangeError(`attribute prior has ${v.dim} dimensions; the catalog has ${this.attributes.dim} attributes`);
    this.attributePrior = v;
    this.prior = blockDiagonal(imagePrior, v);
  }

  /** D, the embedding's width. */
  get imageDim(): number {
    return this.imagePrior.dim;
  }

  get dim(): number {
    return this.prior.dim;
  }

  /**
   * phi(img) = [e; t]. Kept per image object (an image's facts never change, and the store hands
   * out the same object for the same image): read it, never write into it.
   */
  features(img: ImageFeatures): Float64Array {
    const known = this.memo(img);
    if (known.features) return known.features;
    const x = new Float64Array(this.dim);
    x.set(img.embedding);
    x.set(this.attributes.indicator(img.attributes), this.imageDim);
    return (known.features = x);
  }

  /** phi(img) - phi(average image): the x of a pointwise rating. Kept per image object, as features. */
  centered(img: ImageFeatures): Float64Array {
    const known = this.memo(img);
    if (known.centered) return known.centered;
    const x = this.features(img).slice();
    const d = this.imageDim;
    for (let i = 0; i < d; i++) x[i] = x[i]! - this.imagePrior.center[i]!;
    for (let i = 0; i < this.attributes.dim; i++) x[d + i] = x[d + i]! - this.attributes.center[i]!;
    return (known.centered = x);
  }

  private readonly memos = new WeakMap<ImageFeatures, { features?: Float64Array; centered?: Float64Array }>();

  private memo(img: ImageFeatures): { features?: Float64Array; centered?: Float64Array } {
    let known = this.memos.get(img);
    if (!known) this.memos.set(img, (known = {}));
    return known;
  }

  /**
   * z = [w; v] split into its blocks: views of z itself when it is a Float64Array (no copy per
   * profile read), so copy a block before keeping it past a change of z (an in-place update).
   */
  split(z: ArrayLike<number>): { w: Float64Array; v: Float64Array } {
    const all = z instanceof Float64Array ? z : Float64Array.from(z);
    return { w: all.subarray(0, this.imageDim), v: all.subarray(this.imageDim) };
  }
}

const spaces = new WeakMap<PopulationPrior, WeakMap<AttributeCatalog, Map<PopulationPrior | null, PreferenceSpace>>>();

/** One space per (catalog, priors), built once: the joint prior is D^2 numbers. */
export function preferenceSpace(catalog: AttributeCatalog, imagePrior: PopulationPrior, attributePrior?: PopulationPrior): PreferenceSpace {
  let byCatalog = spaces.get(imagePrior);
  if (!byCatalog) spaces.set(imagePrior, (byCatalog = new WeakMap()));
  let byAttributes = byCatalog.get(catalog);
  if (!byAttributes) byCatalog.set(catalog, (byAttributes = new Map()));
  let s = byAttributes.get(attributePrior ?? null);
  if (!s) byAttributes.set(attributePrior ?? null, (s = new PreferenceSpace(catalog, imagePrior, attributePrior)));
  return s;
}

function blockDiagonal(a: GaussianPrior, b: GaussianPrior): GaussianPrior {
  const d = a.dim + b.dim;
  const mean = new Float64Array(d);
  mean.set(a.mean);
  mean.set(b.mean, a.dim);
  const covariance = new Float64Array(d * d);
  const precision = new Float64Array(d * d);
  for (const [p, off] of [[a, 0], [b, a.dim]] as const) {
    for (let i = 0; i < p.dim; i++) {
      for (let j = 0; j < p.dim; j++) {
        covariance[(off + i) * d + off + j] = p.covariance[i * p.dim + j]!;
        precision[(off + i) * d + off + j] = p.precision[i * p.dim + j]!;
      }
    }
  }
  return { dim: d, mean, covariance, precision };
}
