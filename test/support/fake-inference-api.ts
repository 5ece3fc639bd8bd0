// A fake Inference API on 127.0.0.1 in the hf-inference shape that @huggingface/inference's
// textToImage speaks to an endpointUrl: POST {inputs, parameters} -> image bytes, or
// {"error": ...} with a status. Tests queue the replies they want; an empty queue answers 500.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export type ImageKind = 'png' | 'jpeg' | 'webp' | 'rgba-png' | 'gray-png' | 'gif';
export interface Reply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  /** Sent as text/plain unless headers say otherwise. */
  readonly raw?: string;
  /** An image of the size the request asked, times `scale`, coloured by its seed. */
  readonly image?: ImageKind;
  readonly scale?: number;
  readonly delayMs?: number;
}
export interface SeenRequest {
  readonly url: string;
  readonly auth?: string;
  readonly body: { inputs: string; parameters: Record<string, unknown> };
  /** The client closed the connection before the reply was sent (timeout, cancellation). */
  aborted: boolean;
}

/** The colour an image for `seed` is filled with (grey 90 for gray-png). */
export const seedColour = (seed: number) => [(seed * 37) % 256, 90, 200] as const;

async function render(kind: ImageKind, seed: number, width: number, height: number): Promise<Buffer> {
  const [r, g, b] = kind === 'gray-png' ? [90, 90, 90] : seedColour(seed);
  const image = sharp({ create: { width, height, channels: kind === 'rgba-png' ? 4 : 3, background: { r, g, b, alpha: 1 } } });
  if (kind === 'jpeg') return image.jpeg({ quality: 95 }).toBuffer();
  if (kind === 'webp') return image.webp({ lossless: true }).toBuffer();
  if (kind === 'gif') return image.gif().toBuffer();
  return (kind === 'gray-png' ? image.grayscale() : image).png().toBuffer();
}

export async function startFakeInferenceApi() {
  const queue: Reply[] = [];
  const seen: SeenRequest[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    for await (const chunk of req) data += chunk;
    const entry: SeenRequest = { url: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(data), aborted: false };
    seen.push(entry);
    res.on('close', () => {
      if (!res.writableFinished) entry.aborted = true;
    });
    const reply = queue.shift() ?? { status: 500, json: { error: 'nothing queued' } };
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    if (reply.image) {
      const { width, height, seed } = entry.body.parameters as { width: number; height: number; seed: number };
      const bytes = await render(reply.image, seed, width * (reply.scale ?? 1), height * (reply.scale ?? 1));
      res.writeHead(200, { 'content-type': `image/${reply.image.replace(/^\w+-/, '')}` });
      res.end(bytes);
      return;
    }
    res.writeHead(reply.status ?? 200, { 'content-type': reply.raw === undefined ? 'application/json' : 'text/plain; charset=utf-8', ...reply.headers });
    res.end(reply.raw ?? JSON.stringify(reply.json));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queue,
    seen,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
