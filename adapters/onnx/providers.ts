// Turns a device name into onnxruntime execution providers and opens sessions on them.
// onnxruntime-node does not fall back by itself: asking for CUDA without its libraries
// throws. `auto` therefore tries each GPU provider in turn and settles on the first that
// opens, logging once which provider runs and why the others were passed over.
import * as ort from 'onnxruntime-node';

export const DEVICES = Object.freeze(['auto', 'cpu', 'cuda', 'webgpu'] as const);
export type Device = (typeof DEVICES)[number];
export type Provider = 'cpu' | 'cuda' | 'webgpu';

/** Which providers each device may use, in the order they are tried. */
const DEVICE_PROVIDERS: Readonly<Record<Device, readonly Provider[]>> = Object.freeze({
  auto: Object.freeze(['cuda', 'webgpu', 'cpu'] as const),
  cpu: Object.freeze(['cpu'] as const),
  cuda: Object.freeze(['cuda'] as const),
  webgpu: Object.freeze(['webgpu'] as const),
});

export class DeviceError extends Error {
  override readonly name = 'DeviceError';
}

export function parseDevice(value: string): Device {
  if ((DEVICES as readonly string[]).includes(value)) return value as Device;
  throw new DeviceError(`device: unknown device "${value}"; expected one of ${DEVICES.join(', ')}`);
}

export interface SessionOptions {
  device: Device;
  /** Intra-op threads for the CPU provider; 0 lets onnxruntime decide. */
  threads?: number;
  log?: (line: string) => void;
}

/** What a provider needs that may be missing, for strict-mode error messages. */
const MISSING_HINT: Readonly<Record<Provider, string>> = {
  cpu: 'the CPU provider is bundled with onnxruntime-node; the model file itself may be invalid',
  cuda:
    'the CUDA execution provider libraries (installed by onnxruntime-node when ONNXRUNTIME_NODE_INSTALL is not "skip" ' +
    'on a networked Linux x64 machine) or the CUDA 12 / cuDNN 9 runtime',
  webgpu: 'a WebGPU adapter (on Linux: a Vulkan driver and loader, libvulkan1, for a GPU)',
};

export function sessionOptions(provider: Provider, threads: number | undefined): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads ?? 0,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    // Idle intra-op threads would otherwise spin after each run and starve the work between
    // runs (scheduler steps, PNG encoding on libuv's pool) on a small machine.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

/**
 * Opens sessions for the files of one model on one provider. The provider is chosen when
 * the first session opens and kept for the rest, so a model never straddles two devices.
 */
export class SessionFactory {
  private chosen: Provider | undefined;
  private readonly reasons: string[] = [];

  constructor(private readonly options: SessionOptions) {}

  get provider(): Provider | undefined {
    return this.chosen;
  }

  async open(path: string): Promise<ort.InferenceSession> {
    if (this.chosen) return ort.InferenceSession.create(path, sessionOptions(this.chosen, this.options.threads));
    const candidates = DEVICE_PROVIDERS[this.options.device];
    for (const provider of candidates) {
      try {
        const session = await ort.InferenceSession.create(path, sessionOptions(provider, this.options.threads));
        this.chosen = provider;
        const passed = this.reasons.length ? `; passed over: ${this.reasons.join('; ')}` : '';
        this.options.log?.(`onnxruntime: running on ${provider} (device=${this.options.device})${passed}`);
        return session;
      } catch (err) {
        const reason = `${provider}: ${firstLine(err)}`;
        if (this.options.device !== 'auto') {
          throw new DeviceError(`device=${this.options.device}: cannot open ${path} on ${provider} (${firstLine(err)}); needs ${MISSING_HINT[provider]}`);
        }
        this.reasons.push(reason);
      }
    }
    throw new DeviceError(`device=auto: no provider could open ${path}: ${this.reasons.join('; ')}`);
  }
}

/** The useful part of onnxruntime's message: its first line, without the source location. */
function firstLine(err: unknown): string {
  const line = String((err as Error)?.message ?? err).split('\n')[0]!;
  return line.replace(/^.*(was false\.|\] :) /, '').slice(0, 200);
}
