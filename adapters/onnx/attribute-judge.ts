// The evaluation's attribute classifier (models/<pack>/judge/): reads the world attributes
// of an image. It is trained separately from the product's embedder and scorer, so the
// benchmarks can use it as an independent judge.
import { join, resolve } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { readJson } from './read-json.ts';
import { SessionFactory } from './providers.ts';
import { floatTensor, readFloats } from './tensor-types.ts';

export interface JudgeConfig {
  families: string[];
  accuracy_on_fresh_renders?: Record<string, number>;
}

export class AttributeJudge {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly config: JudgeConfig,
    private readonly values: Record<string, readonly string[]>,
    readonly size: number,
  ) {}

  /** `values` maps each family to its values in the order the judge's logits use. */
  static async load(folder: string, values: Record<string, readonly string[]>, threads = 1): Promise<AttributeJudge> {
    const dir = resolve(folder);
    const config = readJson<JudgeConfig>(dir, 'config.json', true);
    const session = await new SessionFactory({ device: 'cpu', threads }).open(join(dir, 'model.onnx'));
    return new AttributeJudge(session, config, values, 32);
  }

  /** Attributes of each image (8-bit RGB, size x size): family -> value. */
  async classify(images: readonly Uint8Array[]): Promise<Record<string, string>[]> {
    const s = this.size;
    const per = 3 * s * s;
    const batch = new Float32Array(per * images.length);
    images.forEach((img, i) => {
      for (let p = 0; p < s * s; p++) for (let c = 0; c < 3; c++) batch[i * per + c * s * s + p] = img[p * 3 + c]! / 127.5 - 1;
    });
    const out = await this.session.run({ pixel_values: floatTensor('float32', batch, [images.length, 3, s, s]) });
    return images.map((_, i) => {
      const attrs: Record<string, string> = {};
      for (const family of this.config.families) {
        const logits = readFloats(out[`logits_${family}`]!);
        const n = this.values[family]!.length;
        let best = 0;
        for (let k = 1; k < n; k++) if (logits[i * n + k]! > logits[i * n + best]!) best = k;
        attrs[family] = this.values[family]![best]!;
      }
      return attrs;
    });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
