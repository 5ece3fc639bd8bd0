import assert from 'node:assert/strict';
import { it } from 'node:test';
import { decodeProfile, encodeProfile } from '../../../adapters/store/profile-codec.ts';
import type { Profile } from '../../../prefs/history.ts';

const profile: Profile = {
  userId: 'u1', liked: [{ attribute: 'teal background', weight: 1.5 }], disliked: [], vector: [0.1 + 0.2, -0, 1e-310],
  attributeVector: [2 / 3], strength: 0.5, evidence: 3, updatedAt: '2025-01-02T03:04:05.000Z',
};

it('round-trips a profile exactly, in less text than JSON numbers take', () => {
  const text = encodeProfile(profile);
  assert.deepEqual(decodeProfile(text), profile);
  const long = { ...profile, vector: Array.from({ length: 128 }, (_, i) => Math.sin(i)) };
  assert.ok(encodeProfile(long).length < 0.6 * JSON.stringify(long).length);
  const { attributeVector: _, ...without } = profile;
  assert.deepEqual(decodeProfile(encodeProfile(without)), without);
});

it('reads a profile stored before, with its vectors as JSON lists', () => {
  const old = { ...profile, vector: [0.1 + 0.2, 1e-310] }; // JSON text has no -0
  assert.deepEqual(decodeProfile(JSON.stringify(old)), old);
});

it('refuses a vector whose bytes are not whole float64s', () => {
  const text = encodeProfile(profile).replace(/"vector64":"[^"]*"/, '"vector64":"AAAA"');
  assert.throws(() => decodeProfile(text), /vector is not a list of float64/);
});

it('writes the vectors as little-endian float64, as rows written before hold them', () => {
  // 1.0 is 00 00 00 00 00 00 f0 3f little-endian; -2.5 is 00 00 00 00 00 00 04 c0.
  const text = encodeProfile({ ...profile, vector: [1], attributeVector: [-2.5] });
  assert.match(text, /"vector64":"AAAAAAAA8D8="/);
  assert.match(text, /"attributeVector64":"AAAAAAAABMA="/);
  const stored = text.replace('AAAAAAAA8D8=', Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40]).toString('base64'));
  assert.deepEqual(decodeProfile(stored).vector, [1, 2]);
});
