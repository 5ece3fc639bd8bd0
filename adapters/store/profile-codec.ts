// A profile at rest, in the profiles table: JSON, with its two vectors as base64 of
// little-endian float64 (`vector64`, `attributeVector64`). Exact, as JSON numbers are, but
// smaller and quicker to write: a profile of the pack with 16 weighted attributes takes 2.8 kB
// instead of 4.2 kB (one database page instead of two) and about half the time to encode (the
// vectors' decimal digits were most of it). Rows written before, with `vector` as a JSON list,
// still load.
import type { Profile } from '../../prefs/history.ts';

// Float64Array is the platform's byte order: little-endian wherever Node runs, checked here.
const LITTLE_ENDIAN = new Uint8Array(Float64Array.of(1).buffer)[7] === 0x3f;

/** Reused by toBase64: a fresh Float64Array per vector is an allocation outside the heap each. */
let scratch = new Float64Array(256);

function toBase64(values: readonly number[]): string {
  if (LITTLE_ENDIAN) {
    if (scratch.length < values.length) scratch = new Float64Array(values.length);
    scratch.set(values);
    return Buffer.from(scratch.buffer, 0, values.length * 8).toString('base64');
  }
  const bytes = Buffer.allocUnsafe(values.length * 8);
  for (let i = 0; i < values.length; i++) bytes.writeDoubleLE(values[i]!, i * 8);
  return bytes.toString('base64');
}

function fromBase64(text: string, field: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 8 !== 0) throw new Error(`stored profile: ${field} is not a list of float64`);
  // Copied out of the Buffer (whose offset in its pool need not be a multiple of 8).
  if (LITTLE_ENDIAN) return Array.from(new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
  const out = new Array<number>(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readDoubleLE(i * 8);
  return out;
}

export function encodeProfile(profile: Profile): string {
  const { userId, liked, disliked, vector, attributeVector, strength, evidence, updatedAt } = profile;
  return JSON.stringify({
    userId, liked, disliked, vector64: toBase64(vector),
    ...(attributeVector && { attributeVector64: toBase64(attributeVector) }),
    strength, evidence, updatedAt,
  });
}

export function decodeProfile(text: string): Profile {
  const { vector64, attributeVector64, ...rest } = JSON.parse(text) as Profile & { vector64?: string; attributeVector64?: string };
  if (vector64 !== undefined) rest.vector = fromBase64(vector64, 'vector');
  if (attributeVector64 !== undefined) rest.attributeVector = fromBase64(attributeVector64, 'attributeVector');
  return rest;
}
