// The O(D^2) loops of an online update (prefs/bradley-terry.ts): S x, and S - k s s'. On the
// WebAssembly SIMD kernel (covariance.wat) where the engine has one, else in JavaScript. The two
// do the same operations in the same order, so they give the same numbers bit for bit; the
// JavaScript loops are the reference the tests hold the kernel to.
//
// The kernel works on its own memory: opening a work copies S in, the downdate copies it back.
// At D = 156 the two copies cost less than the SIMD saves (scripts/bench/prefs.ts prints both).
import { WASM_BASE64 } from './covariance-wasm.ts';

/** S x and S - k s s' on one covariance S (D x D, row-major). Used synchronously, then dropped. */
export interface CovarianceWork {
  /** S x for a dense x, into a new array. */
  times(x: ArrayLike<number>): Float64Array;
  /** Writes S - k s s' into the matrix the work was opened on; rows with k s_i = 0 stay as they are. */
  downdate(s: Float64Array, k: number): void;
}

export type CovarianceKernelKind = 'wasm' | 'js';

interface Kernel {
  readonly memory: WebAssembly.Memory;
  readonly matvec: (c: number, x: number, s: number, d: number) => void;
  readonly rankone: (c: number, s: number, k: number, d: number) => void;
  heap: Float64Array;
}

/** undefined: not tried yet; null: no SIMD in this engine. */
let loaded: Kernel | null | undefined;
let chosen: CovarianceKernelKind | undefined;
/** Counts opened works: the kernel's memory holds the latest one's matrix only. */
let opened = 0;

function loadKernel(): Kernel | null {
  if (loaded !== undefined) return loaded;
  try {
    const bytes = Uint8Array.from(atob(WASM_BASE64), (c) => c.charCodeAt(0));
    if (!WebAssembly.validate(bytes)) return (loaded = null);
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Omit<Kernel, 'heap'>;
    loaded = { memory: exports.memory, matvec: exports.matvec, rankone: exports.rankone, heap: new Float64Array(exports.memory.buffer) };
  } catch {
    loaded = null;
  }
  return loaded;
}

/** The kernel the online update uses: 'wasm' where the engine has WebAssembly SIMD. */
export function covarianceKernel(): CovarianceKernelKind {
  return (chosen ??= loadKernel() ? 'wasm' : 'js');
}

/** Chooses the kernel (benchmarks and tests compare the two); 'wasm' throws where there is none. */
export function useCovarianceKernel(kind: CovarianceKernelKind): void {
  if (kind === 'wasm' && !loadKernel()) throw new Error('this engine has no WebAssembly SIMD');
  chosen = kind;
}

/** Opens a work on `cov` with the chosen kernel (or `kind`). */
export function covarianceWork(cov: Float64Array, d: number, kind: CovarianceKernelKind = covarianceKernel()): CovarianceWork {
  if (cov.length !== d * d) throw new RangeError(`covariance has ${cov.length} entries; D = ${d} needs ${d * d}`);
  const kernel = kind === 'wasm' ? loadKernel() : null;
  // Byte offsets are 32-bit in the kernel: past D = 16383 the loops stay in JavaScript.
  if (!kernel || 8 * (d * d + 2 * d) > 2 ** 31 - 1) return jsWork(cov, d);
  return wasmWork(kernel, cov, d);
}

function wasmWork(kernel: Kernel, cov: Float64Array, d: number): CovarianceWork {
  const bytes = 8 * (d * d + 2 * d);
  if (kernel.memory.buffer.byteLength < bytes) {
    kernel.memory.grow(Math.ceil((bytes - kernel.memory.buffer.byteLength) / 65536));
    kernel.heap = new Float64Array(kernel.memory.buffer);
  }
  const heap = kernel.heap;
  // Layout: S at 0, x after it, the product s after x.
  const X = d * d;
  const S = X + d;
  heap.set(cov, 0);
  const id = ++opened;
  const current = () => {
    if (id !== opened) throw new Error('a covariance work was used after another was opened');
  };
  return {
    times(x) {
      current();
      heap.set(x, X);
      kernel.matvec(0, 8 * X, 8 * S, d);
      return heap.slice(S, S + d);
    },
    downdate(s, k) {
      current();
      heap.set(s, S);
      kernel.rankone(0, 8 * S, k, d);
      cov.set(heap.subarray(0, X));
    },
  };
}

function jsWork(cov: Float64Array, d: number): CovarianceWork {
  return {
    times(x) {
      const sx = new Float64Array(d);
      const dense = Float64Array.from(x);
      for (let i = 0; i < d; i++) {
        const row = i * d;
        // Four partial sums: one sum would wait on the previous addition at every step.
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        let j = 0;
        for (; j + 3 < d; j += 4) {
          s0 += cov[row + j]! * dense[j]!;
          s1 += cov[row + j + 1]! * dense[j + 1]!;
          s2 += cov[row + j + 2]! * dense[j + 2]!;
          s3 += cov[row + j + 3]! * dense[j + 3]!;
        }
        for (; j < d; j++) s0 += cov[row + j]! * dense[j]!;
        sx[i] = (s0 + s1) + (s2 + s3);
      }
      return sx;
    },
    downdate(s, k) {
      for (let i = 0; i < d; i++) {
        const row = i * d;
        const ki = k * s[i]!;
        if (ki === 0) continue;
        // Unrolled by four (a quarter fewer loop checks).
        let j = 0;
        for (; j + 3 < d; j += 4) {
          cov[row + j] = cov[row + j]! - ki * s[j]!;
          cov[row + j + 1] = cov[row + j + 1]! - ki * s[j + 1]!;
          cov[row + j + 2] = cov[row + j + 2]! - ki * s[j + 2]!;
          cov[row + j + 3] = cov[row + j + 3]! - ki * s[j + 3]!;
        }
        for (; j < d; j++) cov[row + j] = cov[row + j]! - ki * s[j]!;
      }
    },
  };
}
