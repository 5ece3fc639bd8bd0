// Where webhooks may go: http(s) only, and never to a private, loopback, link-local or other
// internal address unless ATELIER_WEBHOOK_ALLOW lists it, so a webhook cannot be used to reach
// the machine's own services (SSRF). Checked at the edge (a clear 400) and again on delivery,
// against the addresses the socket will really connect to (a name may resolve differently later).
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export const MAX_WEBHOOK_URL = 2048;

/** A webhook URL that is malformed or points somewhere webhooks may not go. */
export class WebhookUrlError extends Error {
  override readonly name = 'WebhookUrlError';
  readonly field = 'webhook_url';
  constructor(readonly accepted: string) {
    super(`webhook_url: ${accepted}`);
  }
}

const INTERNAL_V4 = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const;
const INTERNAL_V6 = [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32]] as const;

function addRange(list: BlockList, entry: string): void {
  const [ip, bits] = entry.split('/');
  const family = isIP(ip!) === 6 ? 'ipv6' : 'ipv4';
  if (bits === undefined) list.addAddress(ip!, family);
  else list.addSubnet(ip!, Number(bits), family);
}

/** ::ffff:10.0.0.1 is 10.0.0.1 on the wire; judge it as such. */
function unmapped(ip: string): string {
  const m = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(ip);
  if (!m) return ip;
  if (m[1]) return m[1];
  const hi = parseInt(m[2]!, 16);
  const lo = parseInt(m[3]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

export class WebhookPolicy {
  private readonly internal = new BlockList();
  private readonly allowed = new BlockList();

  /** `allow`: IPs or CIDR ranges that stay reachable even though internal (tests: 127.0.0.1). */
  constructor(readonly allow: readonly string[] = []) {
    for (const [ip, bits] of INTERNAL_V4) this.internal.addSubnet(ip, bits, 'ipv4');
    for (const [ip, bits] of INTERNAL_V6) this.internal.addSubnet(ip, bits, 'ipv6');
    for (const entry of allow) addRange(this.allowed, entry);
  }

  allowsAddress(address: string): boolean {
    const ip = unmapped(address);
    const family = isIP(ip);
    if (family === 0) return false;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    return this.allowed.check(ip, type) || !this.internal.check(ip, type);
  }

  /** The checks that need no network: shape, scheme, no credentials, and literal addresses. */
  parse(raw: string): URL {
    if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_WEBHOOK_URL) throw new WebhookUrlError(`a URL of at most ${MAX_WEBHOOK_URL} characters`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new WebhookUrlError('an absolute http:// or https:// URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookUrlError(`an http:// or https:// URL, not ${url.protocol}//`);
    if (url.username || url.password) throw new WebhookUrlError('a URL without user name or password (the body is signed instead)');
    const host = hostOf(url);
    if (isIP(host) && !this.allowsAddress(host)) throw new WebhookUrlError(`a public address; ${host} is private, loopback or reserved`);
    return url;
  }

  /** parse(), then every address the host resolves to must be allowed. */
  async check(raw: string, lookup: (host: string) => Promise<string[]> = resolveAll): Promise<URL> {
    const url = this.parse(raw);
    const host = hostOf(url);
    if (isIP(host)) return url;
    let addresses: string[];
    try {
      addresses = await lookup(host);
    } catch {
      throw new WebhookUrlError(`a host name that resolves; ${host} does not`);
    }
    const refused = addresses.find((a) => !this.allowsAddress(a));
    if (addresses.length === 0 || refused) throw new WebhookUrlError(`a public address; ${host} resolves to ${refused ?? 'nothing'}`);
    return url;
  }
}

export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

// A resolver that hangs must not hold the request: a name that does not answer in time is refused.
async function resolveAll(host: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('DNS timeout')), 3000);
  });
  try {
    return (await Promise.race([dnsLookup(host, { all: true, verbatim: true }), timeout])).map((a) => a.address);
  } finally {
    clearTimeout(timer);
  }
}
