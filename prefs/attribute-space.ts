// Attribute-level Bradley-Terry: the user's taste as one weight per catalog attribute, v_a,
// so that P(a preferred to b) = sigmoid(v . (t(a) - t(b))), t(img) the indicator vector of
// the attributes the image carries (its tags and generation metadata). The same Gaussian
// machinery as w_u in image space (bradley-terry.ts, prior.ts), in a space with one named
// axis per attribute: a choice credits the attributes winner and loser do not share and, over
// several choices, tells apart which of them carried it (where plain contrast counts credit
// all of them alike); a population prior over v carries what people's tastes have in common
// (who likes teal tends to like X), so a few choices already place a new user.
//
// A rating is a pointwise term on t(img) - c, c the indicator an average image has: 1/n for
// each of the n drawn values of an exclusive world family, 0 elsewhere. Within an exclusive
// family only differences count, so the profile reads v_a - sum_b c_b v_b: the value against
// the family's average.
import type { AttributeCatalog, AttributeDef } from './attributes.ts';
import { isotropicPrior, makePrior, type PopulationPrior, type PopulationPriorJson } from './prior.ts';

/** Prior variance of each attribute's weight when no population prior is known (logit units). */
export const DEFAULT_ATTRIBUTE_VARIANCE = 1;

export class AttributeSpace {
  /** Canonical attribute texts, one per axis, in catalog order. */
  readonly keys: readonly string[];
  /** t of the average image. */
  readonly center: Float64Array;
  /**
   * Axes of terms the model's images are never drawn with, in a catalog with a world of its own:
   * a term merged into a drawn family (a "pink" in the world's colour family), whose weight
   * against the family says nothing, and the general art terms ("art deco"), which an image
   * carries only when a prompt names them. Until this user's images carry one or the user
   * names it, its weight is only borrowed through the population's correlations, so the
   * profile does not list it (profile.ts).
   */
  readonly undrawn = new Set<number>();
  private readonly index = new Map<string, number>();
  private readonly families: { members: number[]; weights: number[] }[] = [];
  private readonly familyOf: Int32Array;

  constructor(private readonly catalog: AttributeCatalog) {
    const defs = catalog.attributes;
    this.keys = defs.map((d) => d.text);
    defs.forEach((d, i) => this.index.set(d.text, i));
    this.center = new Float64Array(defs.length);
    this.familyOf = new Int32Array(defs.length).fill(-1);
    const byFamily = new Map<string, { def: AttributeDef; i: number }[]>();
    defs.forEach((def, i) => def.exclusive && byFamily.set(def.family, [...(byFamily.get(def.family) ?? []), { def, i }]));
    for (const members of byFamily.values()) {
      // The world's own values (order < 100) are what images are drawn with; merged art terms
      // (a "pink" in the colour family) never appear on a drawn image, so they weigh nothing.
      const drawn = members.filter((m) => m.def.order < 100);
      const base = drawn.length ? drawn : members;
      const f = this.families.length;
      this.families.push({ members: members.map((m) => m.i), weights: members.map((m) => (base.includes(m) ? 1 / base.length : 0)) });
      for (const m of members) {
        this.familyOf[m.i] = f;
        this.center[m.i] = base.includes(m) ? 1 / base.length : 0;
        if (!base.includes(m)) this.undrawn.add(m.i);
      }
    }
    if (defs.some((d) => d.order < 100)) defs.forEach((d, i) => d.order >= 100 && this.undrawn.add(i));
  }

  get dim(): number {
    return this.keys.length;
  }

  /** Axis of an attribute text (canonical or alias), if the catalog knows it. */
  axis(text: string): number | undefined {
    const def = this.catalog.lookup(text);
    return def ? this.index.get(def.text) : undefined;
  }

  /** t(img): 1 on each known attribute of the image, once per exclusive family. */
  indicator(attributes: readonly string[]): Float64Array {
    const t = new Float64Array(this.dim);
    const seenFamily = new Set<number>();
    for (const text of attributes) {
      const i = this.axis(text);
      if (i === undefined) continue;
      const f = this.familyOf[i]!;
      if (f >= 0) {
        if (seenFamily.has(f)) continue; // one value per exclusive family: the first (tag) wins
        seenFamily.add(f);
      }
      t[i] = 1;
    }
    return t;
  }

  /** Each attribute's weight against its family's average (non-exclusive attributes as they are). */
  relative(v: ArrayLike<number>): Float64Array {
    const out = Float64Array.from(v);
    for (const { members, weights } of this.families) {
      let mean = 0;
      members.forEach((m, k) => (mean += weights[k]! * v[m]!));
      for (const m of members) out[m] = v[m]! - mean;
    }
    return out;
  }

  /** Whether a prior (or belief) was made for this space. */
  fits(p: { dim: number }): boolean {
    return p.dim === this.dim;
  }

  isotropicPrior(variance = DEFAULT_ATTRIBUTE_VARIANCE): PopulationPrior {
    return isotropicPrior(this.dim, variance, this.center);
  }

  /**
   * A stored attribute prior, laid onto this space by attribute text: axes the stored prior
   * does not know get the default variance and no correlation (another pack's vocabulary).
   */
  priorFromJson(json: AttributePriorJson): PopulationPrior {
    if (json.keys.length !== json.dim) throw new RangeError(`attribute prior: ${json.keys.length} keys for ${json.dim} dimensions`);
    const from = json.keys.map((k) => this.axis(k));
    const lay = (v: readonly number[], fill: number) => {
      const out = new Float64Array(this.dim).fill(fill);
      from.forEach((i, k) => i !== undefined && (out[i] = v[k]!));
      return out;
    };
    const known = new Set(from.filter((i): i is number => i !== undefined));
    // Residual variance where the stored prior knows the axis, the default elsewhere: added as
    // extra basis vectors so makePrior stays the one constructor.
    const extra = [...Array(this.dim).keys()].filter((i) => !known.has(i)).map((i) => {
      const e = new Float64Array(this.dim);
      e[i] = Math.sqrt(Math.max(0, DEFAULT_ATTRIBUTE_VARIANCE - json.residualVariance));
      return e;
    });
    return makePrior({
      dim: this.dim, mean: lay(json.mean, 0), center: this.center, residualVariance: json.residualVariance,
      basis: [...json.basis.map((b) => lay(b, 0)), ...extra],
    });
  }
}

/** A population prior over attribute weights, with the attribute text of each axis. */
export interface AttributePriorJson extends PopulationPriorJson {
  readonly keys: readonly string[];
}

const spaces = new WeakMap<AttributeCatalog, AttributeSpace>();

/** One space per catalog, built once. */
export function attributeSpace(catalog: AttributeCatalog): AttributeSpace {
  let s = spaces.get(catalog);
  if (!s) spaces.set(catalog, (s = new AttributeSpace(catalog)));
  return s;
}
