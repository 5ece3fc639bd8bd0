// Guards which way imports run (see each folder's README):
//  - pipeline/ and prefs/ never import adapters/, gallery/, scripts/ or a heavy library;
//  - prefs/ imports nothing of ours outside prefs/;
//  - adapters/ never imports gallery/ or scripts/;
//  - gallery/web/ (browser code) imports only itself, preact, and types from gallery/schemas/ (and TypeBox's Static).
// Exits non-zero listing every import that breaks a rule.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const HEAVY = ['onnxruntime-node', 'onnxruntime-web', 'sharp', 'bullmq', 'ioredis', 'pg', 'better-sqlite3', 'fastify', '@huggingface/inference', '@huggingface/tokenizers', 'playwright-core'];

const RULES: { from: string; forbidden: (target: string, typeOnly: boolean) => boolean; why: string }[] = [
  { from: 'pipeline/', forbidden: (t) => /^(adapters|gallery|scripts)\//.test(t) || HEAVY.includes(t), why: 'pipeline/ may import prefs/ and itself only' },
  { from: 'prefs/', forbidden: (t) => /^(adapters|gallery|scripts|pipeline)\//.test(t) || HEAVY.includes(t), why: 'prefs/ imports nothing of ours outside prefs/' },
  { from: 'adapters/', forbidden: (t) => /^(gallery|scripts)\//.test(t), why: 'adapters/ never imports gallery/ or scripts/' },
  {
    from: 'gallery/web/',
    forbidden: (t, typeOnly) => !(t.startsWith('gallery/web/') || t === 'preact' || (typeOnly && (t.startsWith('gallery/schemas/') || t === '@sinclair/typebox'))),
    why: 'gallery/web/ runs in the browser: it imports itself, preact, and `import type` from gallery/schemas/ and @sinclair/typebox only',
  },
];

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.tsx?$/.test(name)) yield path;
  }
}

const problems: string[] = [];
for (const rule of RULES) {
  for (const file of files(join(ROOT, rule.from))) {
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      const target = spec.startsWith('.') ? relative(ROOT, resolve(dirname(file), spec)) : spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
      if (rule.forbidden(target, /^\s*(?:import|export)\s+type\b/.test(m[0]))) problems.push(`${relative(ROOT, file)} imports ${spec}: ${rule.why}`);
    }
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('import boundaries: ok');
