// The WebAssembly kernel of the online update against its JavaScript twin: the same numbers, bit
// for bit, at any D (the SIMD lanes and the scalar tails), and the committed module is what its
// source builds to.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { updateBeliefInPlace, type GaussianBelief } from '../../prefs/bradley-terry.ts';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { covarianceKernel, covarianceWork, isResident, residentCovariance, useCovarianceKernel } from '../../prefs/kernels/covariance.ts';
import { gaussian, seededRng } from '../../prefs/random.ts';
import { compileWat, kernelModuleSource, kernels } from '../../scripts/build-kernels.ts';

function randomMatrix(d: number, seed: number): Float64Array {
  const r = seededRng(seed);
  return Float64Array.from({ length: d * d }, () => gaussian(r));
}

const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

test('the committed kernel modules are what their .wat sources build to', async () => {
  const all = kernels();
  assert.ok(all.some((k) => k.name === 'covariance'));
  for (const k of all) {
    const bytes = await compileWat(`${k.name}.wat`, readFileSync(k.wat, 'utf8'));
    assert.equal(readFileSync(k.out, 'utf8'), kernelModuleSource(k.name, bytes), `${k.out} is stale: npm run build:kernels`);
  }
});

test('Node has WebAssembly SIMD, so the online update runs on the kernel', () => {
  assert.equal(covarianceKernel(), 'wasm');
});

test('S x and S - k s s\' are the same bit for bit on the kernel and in JavaScript, at every D', () => {
  // D = 1..9 cover every tail of the four-wide and two-wide loops; 156 is the pack's; 300 grows the memory.
  for (const d of [1, 2, 3, 4, 5, 6, 7, 8, 9, 156, 300]) {
    const r = seededRng(d);
    const x = Array.from({ length: d }, () => gaussian(r));
    const s = Float64Array.from({ length: d }, (_, i) => (i % 3 === 1 ? 0 : gaussian(r)));
    const k = 0.37;
    const a = randomMatrix(d, 100 + d);
    const b = a.slice();
    const wasm = covarianceWork(a, d, 'wasm');
    const js = covarianceWork(b, d, 'js');
    const sxWasm = wasm.times(x);
    assert.ok(sameBits(sxWasm, js.times(x)), `S x at D = ${d}`);
    wasm.downdate(s, k);
    js.downdate(s, k);
    assert.ok(sameBits(a, b), `S - k s s' at D = ${d}`);
    // Rows with s_i = 0 are left as they were.
    const before = randomMatrix(d, 100 + d);
    for (let i = 1; i < d; i += 3) assert.ok(sameBits(a.subarray(i * d, (i + 1) * d), before.subarray(i * d, (i + 1) * d)), `row ${i} at D = ${d}`);
    assert.ok(!sameBits(a, before), `the downdate changed S at D = ${d}`);
  }
});

test('online updates leave the same belief on the kernel and in JavaScript', () => {
  const d = 37;
  const r = seededRng(7);
  const start = (): GaussianBelief => {
    const c = new Float64Array(d * d);
    for (let i = 0; i < d; i++) c[i * d + i] = 1;
    return { dim: d, mean: new Float64Array(d), covariance: c };
  };
  const observations = Array.from({ length: 200 }, (_, n) => ({
    // Dense (ratings), and sparse (a choice between images that differ in a few attributes).
    x: Array.from({ length: d }, (_, i) => (n % 4 === 3 && i > 3 ? 0 : gaussian(r))), target: (n % 5) / 4, weight: 1,
  }));
  const kernel = covarianceKernel();
  const run = (kind: 'wasm' | 'js') => {
    useCovarianceKernel(kind);
    const b = start();
    for (const o of observations) updateBeliefInPlace(b, o);
    return b;
  };
  try {
    const [wasm, js] = [run('wasm'), run('js')];
    assert.ok(sameBits(wasm.mean, js.mean));
    assert.ok(sameBits(wasm.covariance, js.covariance));
    assert.ok(wasm.covariance[0]! < 1, 'the updates shrank the covariance');
  } finally {
    useCovarianceKernel(kernel);
  }
});

test('a work is for one synchronous use: the kernel memory holds the latest opened matrix only', () => {
  const first = covarianceWork(randomMatrix(4, 1), 4, 'wasm');
  covarianceWork(randomMatrix(4, 2), 4, 'wasm');
  assert.throws(() => first.times([1, 0, 0, 0]), /after another was opened/);
  assert.throws(() => covarianceWork(new Float64Array(15), 4), /D = 4 needs 16/);
});

test('a resident covariance is updated where it lies, with the numbers any other would get', () => {
  const d = 156;
  const r = seededRng(11);
  const start = randomMatrix(d, 5).map((v, i) => (i % (d + 1) === 0 ? 4 : 0) + v / 100);
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) start[i * d + j] = start[j * d + i]!;
  const resident = residentCovariance(start.slice(), d);
  const other = residentCovariance(start.slice(), d);
  assert.ok(isResident(resident) && isResident(other) && !isResident(start));
  assert.ok(sameBits(resident, start));
  const a: GaussianBelief = { dim: d, mean: new Float64Array(d), covariance: resident };
  const b: GaussianBelief = { dim: d, mean: new Float64Array(d), covariance: start.slice() };
  for (let n = 0; n < 50; n++) {
    const o = { x: Array.from({ length: d }, () => gaussian(r) / 10), target: n % 2, weight: 1 };
    updateBeliefInPlace(a, o);
    updateBeliefInPlace(b, o);
  }
  assert.ok(a.covariance === resident && isResident(a.covariance), 'updated in place');
  assert.ok(sameBits(a.covariance, b.covariance) && sameBits(a.mean, b.mean));
  assert.ok(!sameBits(resident, start), 'the updates changed it');
  assert.ok(sameBits(other, start), 'another resident covariance is untouched');
  assert.equal(residentCovariance(resident, d), resident, 'resident already');
});

test('a resident place is given back once its array is garbage collected', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const d = 3;
  const fill = () => {
    const held: Float64Array[] = [];
    for (;;) {
      const m = residentCovariance(new Float64Array(d * d), d);
      if (!isResident(m)) return held;
      held.push(m);
    }
  };
  let held: Float64Array[] | undefined = fill();
  assert.ok(held.length > 0);
  assert.ok(!isResident(residentCovariance(new Float64Array(d * d), d)), 'every place taken: the matrix stays where it is');
  held = undefined;
  for (let i = 0; i < 10 && !isResident(residentCovariance(new Float64Array(d * d), d)); i++) {
    gc();
    await new Promise((done) => setTimeout(done, 10));
  }
  assert.ok(isResident(residentCovariance(new Float64Array(d * d), d)), 'places came back');
});
