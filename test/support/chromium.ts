// Real Chromium for the browser tests: Debian's `chromium` package driven by playwright-core
// (no `npx playwright install`: that downloads a browser build, which fails offline). If the
// binary is missing it is installed with apt; only when that is impossible do tests skip, and
// they say why.
import { execFileSync, execSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

/** The flags ../shared/REFERENCE.md gives for this kind of machine. */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function which(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

let found: { path: string } | { skip: string } | undefined;

/** The chromium binary, installed with apt-get when missing; or why there is none. */
export function chromiumBinary(): { path: string } | { skip: string } {
  found ??= (() => {
    const present = process.env.CHROMIUM_PATH ?? which('chromium');
    if (present) return { path: present };
    if (process.getuid?.() !== 0) return { skip: 'chromium is not installed and apt-get needs root: run `apt-get install -y chromium`' };
    try {
      console.error('chromium is missing: apt-get install -y chromium (a few minutes, once)');
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execSync('apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium', { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 15 * 60_000 });
    } catch (err) {
      return { skip: `chromium is not installed and \`apt-get install -y chromium\` failed: ${(err as Error).message.split('\n')[0]}` };
    }
    const installed = which('chromium');
    return installed ? { path: installed } : { skip: 'apt-get installed chromium but `command -v chromium` finds nothing' };
  })();
  return found;
}

export async function launchChromium(): Promise<Browser> {
  const binary = chromiumBinary();
  if ('skip' in binary) throw new Error(binary.skip);
  return chromium.launch({ executablePath: binary.path, args: CHROMIUM_FLAGS, headless: true });
}
