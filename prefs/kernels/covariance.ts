// The O(D^2) loops of an online update (prefs/bradley-terry.ts): S x, and S - k s s'. On the
// WebAssembly SIMD kernel (covariance.wat) where the engine has one, else in JavaScript. The two
// do the same operations in the same order, so they give the same numbers bit for bit; the
// JavaScript loops are the reference the tests hold the kernel to.
//
// The kernel works in its own memory (one per D). A covariance made resident there
// (residentCovariance: the personalizer's cached states) is updated where it lies; any other is
// copied in and back out, which at D = 156 costs about what the SIMD saves. A resident matrix is
// an ordinary Float64Array over that memory; its place is given back when the array is garbage
// collected (FinalizationRegistry), so no array can ever see another's numbers. The places are
// fixed when the memory is made (a memory that grew would detach every array over it): past
// them, covariances simply stay where they are. Two cautions for resident arrays: keep no
// subarray of one longer than the array itself (the place goes back when the array is
// collected), and post none to another thread (a structured clone copies the whole memory);
// the refit thread gets the mean only.

import { WASM_BASE64 } from './covariance-wasm.ts';

/** S x and S - k s s' on one covariance S (D x D, row-major). Used synchronously, then dropped. */
export interface CovarianceWork {
  /** S x for a dense x, into a new array. */
  times(x: ArrayLike<number>): Float64Array;
  /** Writes S - k s s' into the matrix the work was opened on; rows with k s_i = 0 stay as they are. */
  downdate(s: Float64Array, k: number): void;
}

export type CovarianceKernelKind = 'wasm' | 'js';

/** Memory for resident covariances, per D: as much as the personalizer's cache of states holds. */
export const RESIDENT_BYTES = 256 * 2 ** 20;
/** Resident covariances per D at most (the personalizer keeps no more states than this at small D). */
const MAX_PLACES = 4096;

interface Kernel {
  readonly d: number;
  readonly memory: WebAssembly.Memory;
  /** The whole memory, in doubles: x at 0, s at d, the copy place at 2d, then the resident places. */
  readonly heap: Float64Array;
  readonly matvec: (c: number, x: number, s: number, d: number) => void;
  readonly rankone: (c: number, s: number, k: number, d: number) => void;
  /** Resident places not in use. */
  readonly free: number[];
  readonly registry: FinalizationRegistry<number>;
  /** Counts works opened on the copy place: it holds the latest one's matrix only. */
  opened: number;
}

/** undefined: not tried yet; null: no WebAssembly SIMD in this engine. */
let compiled: WebAssembly.Module | null | undefined;
const kernels = new Map<number, Kernel>();
let chosen: CovarianceKernelKind | undefined;

function loadModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = Uint8Array.from(atob(WASM_BASE64), (c) => c.charCodeAt(0));
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

/** The kernel for D, made at first use; null without SIMD or past D = 16383 (32-bit offsets). */
function kernelFor(d: number): Kernel | null {
  const existing = kernels.get(d);
  if (existing) return existing;
  const wasm = loadModule();
  const doubles = 2 * d + d * d;
  if (!wasm || !Number.isInteger(d) || d < 1 || 8 * doubles > 2 ** 31 - 1) return null;
  const places = Math.max(0, Math.min(MAX_PLACES, Math.floor(RESIDENT_BYTES / (8 * d * d)), Math.floor((2 ** 31 - 1 - 8 * doubles) / (8 * d * d))));
  const pages = Math.ceil((8 * (doubles + places * d * d)) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const exports = new WebAssembly.Instance(wasm, { kernel: { memory } }).exports as unknown as Pick<Kernel, 'matvec' | 'rankone'>;
  const free = Array.from({ length: places }, (_, i) => places - 1 - i);
  const kernel: Kernel = {
    d, memory, heap: new Float64Array(memory.buffer), matvec: exports.matvec, rankone: exports.rankone,
    free, registry: new FinalizationRegistry((place) => free.push(place)), opened: 0,
  };
  kernels.set(d, kernel);
  return kernel;
}

/** Where resident place `i` starts, in doubles. */
const placeStart = (k: Kernel, i: number) => 2 * k.d + (1 + i) * k.d * k.d;

/** The kernel the online update uses: 'wasm' where the engine has WebAssembly SIMD. */
export function covarianceKernel(): CovarianceKernelKind {
  return (chosen ??= loadModule() ? 'wasm' : 'js');
}

/** Chooses the kernel (benchmarks and tests compare the two); 'wasm' throws where there is none. */
export function useCovarianceKernel(kind: CovarianceKernelKind): void {
  if (kind === 'wasm' && !loadModule()) throw new Error('this engine has no WebAssembly SIMD');
  chosen = kind;
}

/**
 * The covariance, or a copy of it in the kernel's memory, where updates need no copying: for a
 * belief kept and updated many times (a cached state). The copy is an ordinary Float64Array.
 * Without a free place (or a kernel), `cov` itself.
 */
export function residentCovariance(cov: Float64Array, d: number): Float64Array {
  const kernel = covarianceKernel() === 'wasm' ? kernelFor(d) : null;
  if (!kernel || cov.length !== d * d || cov.buffer === kernel.memory.buffer) return cov;
  const place = kernel.free.pop();
  if (place === undefined) return cov;
  const start = placeStart(kernel, place);
  const resident = kernel.heap.subarray(start, start + d * d);
  resident.set(cov);
  kernel.registry.register(resident, place);
  return resident;
}

/** Whether `cov` lies in a kernel's memory (residentCovariance). */
export function isResident(cov: Float64Array): boolean {
  return [...kernels.values()].some((k) => cov.buffer === k.memory.buffer);
}

/** Opens a work on `cov` with the chosen kernel (or `kind`). */
export function covarianceWork(cov: Float64Array, d: number, kind: CovarianceKernelKind = covarianceKernel()): CovarianceWork {
  if (cov.length !== d * d) throw new RangeError(`covariance has ${cov.length} entries; D = ${d} needs ${d * d}`);
  const kernel = kind === 'wasm' ? kernelFor(d) : null;
  if (!kernel) return jsWork(cov, d);
  return cov.buffer === kernel.memory.buffer ? kernelLoops(kernel, cov.byteOffset) : copiedWork(kernel, cov);
}

/** S x and the downdate on the matrix at byte offset `at`; x and s go through the scratch places. */
function kernelLoops(kernel: Kernel, at: number): CovarianceWork {
  const { d, heap } = kernel;
  return {
    times(x) {
      heap.set(x, 0);
      kernel.matvec(at, 0, 8 * d, d);
      return heap.slice(d, 2 * d);
    },
    downdate(s, k) {
      heap.set(s, d);
      kernel.rankone(at, 8 * d, k, d);
    },
  };
}

function copiedWork(kernel: Kernel, cov: Float64Array): CovarianceWork {
  const at = 2 * kernel.d;
  kernel.heap.set(cov, at);
  const id = ++kernel.opened;
  const current = () => {
    if (id !== kernel.opened) throw new Error('a covariance work was used after another was opened');
  };
  const loops = kernelLoops(kernel, 8 * at);
  return {
    times(x) {
      current();
      return loops.times(x);
    },
    downdate(s, k) {
      current();
      loops.downdate(s, k);
      cov.set(kernel.heap.subarray(at, at + cov.length));
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
