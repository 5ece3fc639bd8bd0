import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { OnnxSdModel } from '../../../adapters/onnx/sd-model.ts';
import { ModelFolderError } from '../../../adapters/onnx/model-errors.ts';
import { FIXTURES } from '../../helpers.ts';

const conventions = [
  { dir: 'tiny-sd-int64-timestep', timestep: 'int64', ids: 'int64' },
  { dir: 'tiny-sd-float-timestep', timestep: 'float32', ids: 'int32' },
];

for (const c of conventions) {
  test(`loads ${c.dir}: timestep ${c.timestep}, input_ids ${c.ids}, read from session metadata`, async () => {
    const lines: string[] = [];
    const model = await OnnxSdModel.load(join(FIXTURES, c.dir), { device: 'cpu', log: (l) => lines.push(l) });
    try {
      assert.equal(model.provider, 'cpu');
      assert.match(lines.join('\n'), /running on cpu/);
      assert.equal(model.latentChannels, 4);
      assert.equal(model.latentFactor, 2, 'from vae_decoder/config.json block_out_channels');
      assert.equal(model.scalingFactor, 0.5, 'from vae_decoder/config.json, not hard-coded');
      assert.equal(model.maxTokens, 32, 'from the text encoder input shape');
      const ids = model.tokenize('a red circle').ids;
      const hidden = await model.encodeText([ids, ids]);
      assert.deepEqual(hidden.dims, [2, 32, 32]);
      const sample = { data: new Float32Array(2 * 4 * 16 * 16).fill(0.1), dims: [2, 4, 16, 16] };
      const out = await model.predict(sample, 500, hidden);
      assert.deepEqual(out.dims, [2, 4, 16, 16]);
      assert.ok(out.data.every(Number.isFinite));
      const other = await model.predict(sample, 10, hidden);
      assert.notDeepEqual(Array.from(other.data.slice(0, 8)), Array.from(out.data.slice(0, 8)), 'the timestep reaches the network');
      const pixels = await model.decode({ data: new Float32Array(4 * 16 * 16), dims: [1, 4, 16, 16] });
      assert.deepEqual(pixels.dims, [1, 3, 32, 32]);
    } finally {
      await model.release();
    }
  });
}

function brokenCopy(edit: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'atelier-model-'));
  cpSync(join(FIXTURES, 'tiny-sd-int64-timestep'), dir, { recursive: true });
  edit(dir);
  return dir;
}

for (const file of ['unet/model.onnx', 'model_index.json', 'scheduler/scheduler_config.json', 'text_encoder/model.onnx', 'vae_decoder/model.onnx']) {
  test(`a folder missing ${file} fails naming it`, async () => {
    const dir = brokenCopy((d) => rmSync(join(d, file)));
    try {
      await assert.rejects(OnnxSdModel.load(dir, { device: 'cpu' }), (err: unknown) => err instanceof ModelFolderError && err.message.includes(file) && /missing/.test(err.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('malformed JSON and a bad scaling_factor are named', async () => {
  const bad = brokenCopy((d) => writeFileSync(join(d, 'model_index.json'), '{ nope'));
  const scale = brokenCopy((d) => writeFileSync(join(d, 'vae_decoder/config.json'), JSON.stringify({ scaling_factor: -1 })));
  try {
    await assert.rejects(OnnxSdModel.load(bad, { device: 'cpu' }), /model_index\.json: is not valid JSON/);
    await assert.rejects(OnnxSdModel.load(scale, { device: 'cpu' }), /scaling_factor must be a positive number/);
    await assert.rejects(OnnxSdModel.load(join(FIXTURES, 'nope'), { device: 'cpu' }), /does not exist/);
  } finally {
    rmSync(bad, { recursive: true, force: true });
    rmSync(scale, { recursive: true, force: true });
  }
});
