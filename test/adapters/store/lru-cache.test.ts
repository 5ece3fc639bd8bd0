// The stores' small LRU: most recent kept, oldest evicted, entries past their time read as absent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LruCache } from '../../../adapters/store/lru-cache.ts';

test('keeps the most recently used entries and evicts the oldest', () => {
  const cache = new LruCache<string, number>({ maxEntries: 2 });
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1); // now b is the oldest
  cache.set('c', 3);
  assert.deepEqual([cache.get('a'), cache.get('b'), cache.get('c')], [1, undefined, 3]);
  cache.delete('a');
  assert.equal(cache.get('a'), undefined);
});

test('reads an entry past its time to live as absent, and a fresh set restarts the clock', () => {
  let now = 1000;
  const cache = new LruCache<string, string>({ maxEntries: 10, ttlMs: 100, now: () => now });
  cache.set('key', 'user');
  now += 99;
  assert.equal(cache.get('key'), 'user');
  now += 1;
  assert.equal(cache.get('key'), undefined);
  cache.set('key', 'user');
  now += 50;
  assert.equal(cache.get('key'), 'user');
});

test('refuses a size that is not a positive integer', () => {
  assert.throws(() => new LruCache({ maxEntries: 0 }), /maxEntries must be a positive integer/);
});
