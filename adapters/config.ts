// Configuration from the environment, checked once at start: a bad value stops the process with
// the variable's name and what it accepts, never a silent default. The README's table lists them.
// HF_TOKEN and the remote backend's variables are read by adapters/huggingface/from-env.ts.
import { isIP } from 'node:net';
import { resolve } from 'node:path';

export interface AtelierConfig {
  /** PORT: where the API listens. */
  readonly port: number;
  /** HOST: the interface it listens on (0.0.0.0 in a container). */
  readonly host: string;
  /** DATA_DIR: the SQLite file, image files, and the admin key's hash. */
  readonly dataDir: string;
  /** ATELIER_ADMIN_KEY: if unset, one is generated at first start and its hash kept in DATA_DIR. */
  readonly adminKey?: string;
  /** REDIS_URL and DATABASE_URL, both or neither: both set means scale-out (BullMQ + PostgreSQL). */
  readonly redisUrl?: string;
  readonly databaseUrl?: string;
  /** ATELIER_MODEL_DIR: a Stable-Diffusion-layout ONNX folder; default the bundled pack. */
  readonly modelDir?: string;
  /** ATELIER_DEVICE: auto, cpu, cuda or webgpu. */
  readonly device: string;
  /** ATELIER_CONCURRENCY: jobs this process runs at once; 0 means it runs none. */
  readonly concurrency: number;
  /** ATELIER_WEBHOOK_ALLOW: private or loopback addresses (IPs or CIDRs) webhooks may still reach. */
  readonly webhookAllow: readonly string[];
  /** ATELIER_RATE_LIMIT: requests per minute per API key (per address without one). */
  readonly rateLimit: number;
  /** ATELIER_QUEUE_PREFIX: Redis key prefix, to keep several deployments on one Redis apart. */
  readonly queuePrefix: string;
  /** ATELIER_PG_SCHEMA: PostgreSQL schema, created if missing. */
  readonly pgSchema?: string;
  /** ATELIER_JOB_LOCK_MS: a dead worker's job is taken back about this long after it died. */
  readonly jobLockMs: number;
  /** LOG_LEVEL: fatal, error, warn, info, debug, trace or silent. */
  readonly logLevel: string;
}

export type Mode = 'embedded' | 'scale-out';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    readonly accepted: string,
    readonly received: string | undefined,
  ) {
    super(`${variable}: ${accepted} (got ${JSON.stringify(received)})`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DEVICES = ['auto', 'cpu', 'cuda', 'webgpu'];

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) throw new ConfigError(name, `an integer in ${min}..${max}`, raw);
  return value;
}

function text(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function oneOf(env: Env, name: string, fallback: string, accepted: readonly string[]): string {
  const raw = text(env, name) ?? fallback;
  if (!accepted.includes(raw)) throw new ConfigError(name, `one of ${accepted.join(', ')}`, raw);
  return raw;
}

function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `a URL (${protocols.join(' or ')})`, '<not a URL>');
  }
  // The value may hold a password: only its scheme is ever echoed.
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `a URL starting with ${protocols.join(' or ')}//`, parsed.protocol);
  return raw;
}

function addressList(env: Env, name: string): string[] {
  const raw = text(env, name);
  if (!raw) return [];
  return raw.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const [ip, bits, extra] = entry.split('/');
    const family = isIP(ip ?? '');
    const max = family === 6 ? 128 : 32;
    const ok = family !== 0 && extra === undefined && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max));
    if (!ok) throw new ConfigError(name, 'comma-separated IP addresses or CIDR ranges, e.g. 127.0.0.1,10.0.0.0/8', entry);
    return entry;
  });
}

/** `role: 'worker'` is `npm run worker`: it runs one job at a time unless told otherwise. */
export function readConfig(env: Env = process.env, options: { cwd?: string; role?: 'server' | 'worker' } = {}): AtelierConfig {
  const cwd = options.cwd ?? process.cwd();
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  // Half a scale-out configuration is a mistake, not a reason to fall back to embedded.
  if (redisUrl && !databaseUrl) throw new ConfigError('DATABASE_URL', 'set as well when REDIS_URL is set (scale-out needs both)', undefined);
  if (databaseUrl && !redisUrl) throw new ConfigError('REDIS_URL', 'set as well when DATABASE_URL is set (scale-out needs both)', undefined);
  const adminKey = text(env, 'ATELIER_ADMIN_KEY');
  if (adminKey !== undefined && adminKey.length < 16) throw new ConfigError('ATELIER_ADMIN_KEY', 'at least 16 characters', '<too short>');
  const pgSchema = text(env, 'ATELIER_PG_SCHEMA');
  if (pgSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(pgSchema)) throw new ConfigError('ATELIER_PG_SCHEMA', 'a lowercase SQL identifier', pgSchema);
  const queuePrefix = text(env, 'ATELIER_QUEUE_PREFIX') ?? 'atelier';
  if (!/^[\w-]{1,64}$/.test(queuePrefix)) throw new ConfigError('ATELIER_QUEUE_PREFIX', '1 to 64 letters, digits, _ or -', queuePrefix);
  const modelDir = text(env, 'ATELIER_MODEL_DIR');
  const scaleOut = redisUrl !== undefined;
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: text(env, 'HOST') ?? '127.0.0.1',
    dataDir: resolve(cwd, text(env, 'DATA_DIR') ?? 'data'),
    ...(adminKey && { adminKey }),
    ...(redisUrl && { redisUrl }),
    ...(databaseUrl && { databaseUrl }),
    ...(modelDir && { modelDir: resolve(cwd, modelDir) }),
    device: oneOf(env, 'ATELIER_DEVICE', 'auto', DEVICES),
    // Embedded runs its own jobs; in scale-out an API node leaves them to `npm run worker`.
    concurrency: integer(env, 'ATELIER_CONCURRENCY', scaleOut && options.role !== 'worker' ? 0 : 1, 0, 64),
    webhookAllow: addressList(env, 'ATELIER_WEBHOOK_ALLOW'),
    rateLimit: integer(env, 'ATELIER_RATE_LIMIT', 600, 1, 10_000_000),
    queuePrefix,
    ...(pgSchema && { pgSchema }),
    jobLockMs: integer(env, 'ATELIER_JOB_LOCK_MS', 30_000, 500, 3_600_000),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
  };
}

export function modeOf(config: Pick<AtelierConfig, 'redisUrl'>): Mode {
  return config.redisUrl ? 'scale-out' : 'embedded';
}
