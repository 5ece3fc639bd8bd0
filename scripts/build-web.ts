// Builds the web gallery (gallery/web) into gallery/web/dist: index.html, assets/app.js and
// assets/app.css. `npm run build:web`; `npm start` and `npm test` run it first.
//   --watch   rebuild on change
import { build, context, type BuildOptions } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

export const WEB_DIR = resolve(import.meta.dirname, '..', 'gallery', 'web');
export const DIST_DIR = resolve(WEB_DIR, 'dist');

const options: BuildOptions = {
  entryPoints: [
    { in: resolve(WEB_DIR, 'src', 'main.tsx'), out: 'app' },
    { in: resolve(WEB_DIR, 'src', 'styles.css'), out: 'app' },
  ],
  outdir: resolve(DIST_DIR, 'assets'),
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: resolve(WEB_DIR, 'tsconfig.json'),
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
};

async function main(): Promise<void> {
  const watch = process.argv.includes('--watch');
  rmSync(DIST_DIR, { recursive: true, force: true });
  mkdirSync(DIST_DIR, { recursive: true });
  copyFileSync(resolve(WEB_DIR, 'index.html'), resolve(DIST_DIR, 'index.html'));
  if (watch) {
    const ctx = await context(options);
    await ctx.watch();
    console.log(`web: watching ${WEB_DIR}/src, writing ${DIST_DIR}`);
    return;
  }
  const started = performance.now();
  const result = await build({ ...options, metafile: true });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.log(`web: built ${DIST_DIR} (${(bytes / 1024).toFixed(0)} KiB) in ${Math.round(performance.now() - started)} ms`);
}

await main();
