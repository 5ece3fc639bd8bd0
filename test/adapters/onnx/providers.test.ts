// Provider selection on a machine without CUDA libraries or a WebGPU adapter (this one, and
// CI). Where a GPU provider does open (a GPU machine), the fallback tests are skipped.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DeviceError, SessionFactory, parseDevice } from '../../../adapters/onnx/providers.ts';
import { FIXTURES } from '../../helpers.ts';

const model = join(FIXTURES, 'tiny-sd-int64-timestep', 'unet', 'model.onnx');

async function opens(device: 'cuda' | 'webgpu'): Promise<boolean> {
  try {
    await new SessionFactory({ device }).open(model);
    return true;
  } catch {
    return false;
  }
}
const gpu = (await opens('cuda')) || (await opens('webgpu'));

test('auto falls back to the CPU and logs once which provider runs and why others were passed over', { skip: gpu && 'a GPU provider opens here' }, async () => {
  const lines: string[] = [];
  const factory = new SessionFactory({ device: 'auto', log: (l) => lines.push(l) });
  await factory.open(model);
  await factory.open(model);
  assert.equal(factory.provider, 'cpu');
  assert.equal(lines.length, 1, 'one line, not one per session');
  assert.match(lines[0]!, /running on cpu \(device=auto\); passed over: cuda: .*; webgpu: /);
});

test('strict cuda and webgpu fail and say what is missing', { skip: gpu && 'a GPU provider opens here' }, async () => {
  await assert.rejects(new SessionFactory({ device: 'cuda' }).open(model), (err: unknown) =>
    err instanceof DeviceError && /device=cuda/.test(err.message) && /CUDA execution provider libraries/.test(err.message) && /ONNXRUNTIME_NODE_INSTALL/.test(err.message));
  await assert.rejects(new SessionFactory({ device: 'webgpu' }).open(model), (err: unknown) =>
    err instanceof DeviceError && /device=webgpu/.test(err.message) && /WebGPU adapter/.test(err.message));
});

test('cpu is strict and quiet about others', async () => {
  const lines: string[] = [];
  const factory = new SessionFactory({ device: 'cpu', threads: 1, log: (l) => lines.push(l) });
  await factory.open(model);
  assert.equal(factory.provider, 'cpu');
  assert.deepEqual(lines, ['onnxruntime: running on cpu (device=cpu)']);
});

test('an unknown device lists the known ones', () => {
  assert.throws(() => parseDevice('tpu'), /device: unknown device "tpu"; expected one of auto, cpu, cuda, webgpu/);
  assert.equal(parseDevice('webgpu'), 'webgpu');
});
