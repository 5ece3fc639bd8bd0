// A worker thread's entry module, as a data: URL for `new Worker`. TypeScript goes through tsx:
// a worker does not inherit the main thread's loader.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `name`: the worker's module beside this file, without extension ('refit-worker'). */
export function startWorker(name: string, options: WorkerOptions): Worker {
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(`./${name}.${ts ? 'ts' : 'js'}`, import.meta.url);
  const code = ts
    ? `import { tsImport } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};\nawait tsImport(${JSON.stringify(entry.href)}, import.meta.url);`
    : `await import(${JSON.stringify(entry.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), options);
}
