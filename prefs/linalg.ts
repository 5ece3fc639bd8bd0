// Small dense linear algebra over Float64Array: vectors, and symmetric D x D matrices stored
// row-major. Enough for Bradley-Terry fits in an embedding space of a few hundred dimensions;
// no library, so prefs/ stays plain TypeScript.

export type Vec = Float64Array;
/** A D x D matrix, row-major. */
export type Mat = Float64Array;

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** Cosine similarity; 0 when either vector is zero (no direction, no similarity). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = norm(a) * norm(b);
  return n > 0 ? dot(a, b) / n : 0;
}

export function matVec(m: Mat, v: ArrayLike<number>, d: number): Vec {
  const out = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = 0;
    const row = i * d;
    for (let j = 0; j < d; j++) s += m[row + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

export function identity(d: number, scale = 1): Mat {
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) m[i * d + i] = scale;
  return m;
}

/** Lower Cholesky factor of a symmetric positive-definite matrix; null if it is not one. */
export function cholesky(a: Mat, d: number): Mat | null {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * d + i] = Math.sqrt(s);
      } else {
        l[i * d + j] = s / l[j * d + j]!;
      }
    }
  }
  return l;
}

/** Solves (L L^T) x = b. */
export function choleskySolve(l: Mat, b: ArrayLike<number>, d: number): Vec {
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * d + k]! * y[k]!;
    y[i] = s / l[i * d + i]!;
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < d; k++) s -= l[k * d + i]! * x[k]!;
    x[i] = s / l[i * d + i]!;
  }
  return x;
}

/** (L L^T)^-1, symmetric. */
export function choleskyInverse(l: Mat, d: number): Mat {
  const inv = new Float64Array(d * d);
  const e = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    e.fill(0);
    e[j] = 1;
    const col = choleskySolve(l, e, d);
    for (let i = 0; i < d; i++) inv[i * d + j] = col[i]!;
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const m = (inv[i * d + j]! + inv[j * d + i]!) / 2;
      inv[i * d + j] = m;
      inv[j * d + i] = m;
    }
  }
  return inv;
}

/** Cholesky with growing diagonal jitter, for matrices that are PD up to rounding. */
export function choleskyRobust(a: Mat, d: number): Mat {
  let l = cholesky(a, d);
  let jitter = 1e-10 * Math.max(1e-12, meanDiagonal(a, d));
  while (!l) {
    const b = a.slice();
    for (let i = 0; i < d; i++) b[i * d + i] = b[i * d + i]! + jitter;
    l = cholesky(b, d);
    jitter *= 10;
    if (!Number.isFinite(jitter) || jitter > 1e6) throw new Error('matrix is not positive definite (non-finite entries?)');
  }
  return l;
}

function meanDiagonal(a: Mat, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += Math.abs(a[i * d + i]!);
  return s / d;
}

export function isFiniteArray(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

/**
 * The k leading eigenpairs of a symmetric PSD matrix by subspace iteration with a
 * Rayleigh-Ritz step (Golub & Van Loan, 8.2.4). O(d^2 k) per sweep, so it also serves
 * d = 512 or 768 where a full Jacobi decomposition would be slow.
 */
export function topEigen(c: Mat, d: number, k: number, sweeps = 60, seed = 1): { values: number[]; vectors: Vec[] } {
  k = Math.min(k, d);
  let state = seed >>> 0 || 1;
  const rand = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296) - 0.5;
  let q: Vec[] = Array.from({ length: k }, () => Float64Array.from({ length: d }, rand));
  orthonormalize(q);
  for (let s = 0; s < sweeps; s++) {
    q = q.map((v) => matVec(c, v, d));
    orthonormalize(q);
  }
  // Rayleigh-Ritz: rotate the basis to the eigenvectors of the k x k projection.
  const cq = q.map((v) => matVec(c, v, d));
  const small = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) small[i * k + j] = dot(q[i]!, cq[j]!);
  const { values, vectors } = jacobiEigen(small, k);
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  return {
    values: order.map((i) => Math.max(0, values[i]!)),
    vectors: order.map((i) => {
      const v = new Float64Array(d);
      for (let j = 0; j < k; j++) {
        const w = vectors[j * k + i]!;
        for (let t = 0; t < d; t++) v[t] = v[t]! + w * q[j]![t]!;
      }
      return v;
    }),
  };
}

function orthonormalize(vs: Vec[]): void {
  for (let i = 0; i < vs.length; i++) {
    const v = vs[i]!;
    for (let j = 0; j < i; j++) {
      const p = dot(v, vs[j]!);
      for (let t = 0; t < v.length; t++) v[t] = v[t]! - p * vs[j]![t]!;
    }
    const n = norm(v);
    if (n > 1e-300) for (let t = 0; t < v.length; t++) v[t] = v[t]! / n;
  }
}

/** Cyclic Jacobi for a small symmetric matrix; eigenvectors are the columns of `vectors`. */
function jacobiEigen(a0: Mat, n: number): { values: number[]; vectors: Mat } {
  const a = a0.slice();
  const v = identity(n);
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!, akq = a[k * n + q]!;
          a[k * n + p] = cs * akp - sn * akq;
          a[k * n + q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!, aqk = a[q * n + k]!;
          a[p * n + k] = cs * apk - sn * aqk;
          a[q * n + k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!, vkq = v[k * n + q]!;
          v[k * n + p] = cs * vkp - sn * vkq;
          v[k * n + q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  return { values: Array.from({ length: n }, (_, i) => a[i * n + i]!), vectors: v };
}
