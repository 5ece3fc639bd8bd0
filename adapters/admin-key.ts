// The admin key (POST /v1/users). From ATELIER_ADMIN_KEY when set; otherwise generated at first
// start, printed once, and kept only as its SHA-256 in DATA_DIR/admin-key.sha256, so restarts keep
// it and a copy of DATA_DIR does not leak it. In scale-out every API node must share DATA_DIR (it
// holds the images too) or set ATELIER_ADMIN_KEY.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const ADMIN_KEY_FILE = 'admin-key.sha256';

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

export class AdminKey {
  private constructor(private readonly hash: Buffer) {}

  /** Constant-time: the response timing says nothing about how much of a key matched. */
  verify(candidate: string | undefined): boolean {
    if (typeof candidate !== 'string' || candidate.length === 0 || candidate.length > 512) return false;
    return timingSafeEqual(sha256(candidate), this.hash);
  }

  static fromKey(key: string): AdminKey {
    return new AdminKey(sha256(key));
  }

  /**
   * The configured key, or the one kept in dataDir; a new one is made (and handed to `announce`,
   * the only time it is ever shown) when neither exists.
   */
  static async resolve(options: { key?: string; dataDir: string; announce: (key: string, file: string) => void }): Promise<AdminKey> {
    if (options.key) return AdminKey.fromKey(options.key);
    const file = join(options.dataDir, ADMIN_KEY_FILE);
    const stored = await readHash(file);
    if (stored) return new AdminKey(stored);
    const key = `atladm_${randomBytes(32).toString('base64url')}`;
    await mkdir(options.dataDir, { recursive: true });
    // Written aside, then linked into place: link() fails if the file exists, so when nodes start
    // at once on a shared DATA_DIR exactly one key wins, and nobody reads a half-written file.
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, `${sha256(key).toString('hex')}\n`, { mode: 0o600 });
    try {
      await link(temp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return new AdminKey((await readHash(file))!);
    } finally {
      await rm(temp, { force: true });
    }
    options.announce(key, file);
    return AdminKey.fromKey(key);
  }
}

async function readHash(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`${file} is not a SHA-256 in hex; delete it to generate a new admin key`);
  return Buffer.from(text, 'hex');
}
