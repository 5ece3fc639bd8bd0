// API keys: 32 random bytes, shown once, kept as SHA-256. A key this random needs no salt or slow
// hash (nobody can brute-force 256 bits), and a plain hash can be looked up by index.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'atl_';
const KEY_PATTERN = /^atl_[A-Za-z0-9_-]{43}$/;

export function newApiKey(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

/** undefined for anything that is not shaped like a key, so garbage never reaches the database. */
export function hashApiKey(key: unknown): string | undefined {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) return undefined;
  return hash('sha256', key, 'hex');
}

/** Constant-time, so response timing says nothing about how much of a hash matched. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
