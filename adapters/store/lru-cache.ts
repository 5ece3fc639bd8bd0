// A small least-recently-used map with an optional time to live, for what the stores read on
// every request and seldom or never changes (verified API keys, image facts).

export interface LruOptions {
  readonly maxEntries: number;
  /** Entries older than this are read as absent; without it they stay until evicted. */
  readonly ttlMs?: number;
  /** Milliseconds; injectable for tests. */
  readonly now?: () => number;
}

export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; at: number }>();
  private readonly now: () => number;

  constructor(private readonly options: LruOptions) {
    if (!(Number.isInteger(options.maxEntries) && options.maxEntries >= 1)) throw new RangeError(`maxEntries must be a positive integer, got ${options.maxEntries}`);
    this.now = options.now ?? Date.now;
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (this.options.ttlMs !== undefined && this.now() - entry.at >= this.options.ttlMs) return undefined;
    this.entries.set(key, entry); // now the most recent
    return entry.value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, at: this.now() });
    if (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
