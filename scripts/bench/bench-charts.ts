// Pictures for benchmark reports: Vega-Lite charts rendered to SVG by Vega (no browser, no
// canvas) and rasterized to PNG by sharp; and contact sheets of small images side by side.
import { writeFile } from 'node:fs/promises';
import sharp, { type OverlayOptions } from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders a Vega-Lite spec to a PNG file (and the SVG beside it when `svgPath` is given). */
export async function renderChart(spec: TopLevelSpec, pngPath: string, svgPath?: string): Promise<void> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG(2);
  view.finalize();
  if (svgPath) await writeFile(svgPath, svg);
  await sharp(Buffer.from(svg), { density: 144 }).flatten({ background: '#ffffff' }).png().toFile(pngPath);
}

export interface SheetRow {
  readonly label: string;
  readonly cells: readonly { readonly caption: string; readonly images: readonly Uint8Array[] }[];
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Rows of labelled cells, each cell a few RGB images (size x size) side by side, scaled up
 * with nearest-neighbour so the pixels stay visible.
 */
export async function contactSheet(rows: readonly SheetRow[], o: { size: number; scale?: number; title: string; path: string }): Promise<void> {
  const s = o.size * (o.scale ?? 3);
  const gap = 6, label = 150, header = 28, captionH = 16;
  const perCell = Math.max(1, ...rows.flatMap((r) => r.cells.map((c) => c.images.length)));
  const cellW = perCell * s + (perCell - 1) * 2;
  const cells = Math.max(1, ...rows.map((r) => r.cells.length));
  const width = label + cells * (cellW + gap) + gap;
  const rowH = s + captionH + gap;
  const height = header + rows.length * rowH + gap;
  const layers: OverlayOptions[] = [];
  const text: string[] = [`<text x="${gap}" y="19" font-size="14" font-weight="bold">${escapeXml(o.title)}</text>`];
  for (const [i, row] of rows.entries()) {
    const top = header + i * rowH;
    text.push(`<text x="${gap}" y="${top + s / 2 + 5}" font-size="13">${escapeXml(row.label)}</text>`);
    for (const [j, cell] of row.cells.entries()) {
      const left = label + j * (cellW + gap);
      text.push(`<text x="${left}" y="${top + s + 12}" font-size="11">${escapeXml(cell.caption)}</text>`);
      for (const [m, pixels] of cell.images.entries()) {
        const input = await sharp(pixels, { raw: { width: o.size, height: o.size, channels: 3 } }).resize(s, s, { kernel: 'nearest' }).png().toBuffer();
        layers.push({ input, left: left + m * (s + 2), top });
      }
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g font-family="DejaVu Sans, sans-serif" fill="#222">${text.join('')}</g></svg>`;
  layers.push({ input: Buffer.from(svg), left: 0, top: 0 });
  await sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).composite(layers).png().toFile(o.path);
}
