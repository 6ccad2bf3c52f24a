import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CryptoError,
  cryptoReady,
  generateBoxKeyPair,
  newRecoveryKey,
  newSymmetricKey,
  unwrapKey,
  wrapKey,
} from '../../../server/core/crypto/index.js';

beforeAll(cryptoReady);

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const secret = fc.uint8Array({ maxLength: 128 });

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  const index = bit % (copy.length * 8);
  copy[index >> 3]! ^= 1 << (index & 7);
  return copy;
}

describe('wrapKey / unwrapKey', () => {
  it('round-trips any secret under any 32-byte KEK', () => {
    fc.assert(
      fc.property(secret, key, (s, kek) => {
        const wrapped = wrapKey(s, kek);
        expect(wrapped.length).toBe(1 + 24 + 16 + s.length);
        expect(wrapped[0]).toBe(1);
        expect(unwrapKey(wrapped, kek)).toEqual(s);
      }),
    );
  });

  it('wraps a staff private key under the password KEK, the recovery key and a session secret', () => {
    const { privateKey } = generateBoxKeyPair();
    for (const kek of [newSymmetricKey(), newRecoveryKey(), newSymmetricKey()]) {
      expect(unwrapKey(wrapKey(privateKey, kek), kek)).toEqual(privateKey);
    }
  });

  it('fails on a flipped bit anywhere', () => {
    fc.assert(
      fc.property(secret, key, fc.nat(), (s, kek, bit) => {
        expect(() => unwrapKey(flipBit(wrapKey(s, kek), bit), kek)).toThrow(CryptoError);
      }),
    );
  });

  it('fails with the wrong KEK', () => {
    fc.assert(
      fc.property(secret, key, key, (s, kek1, kek2) => {
        fc.pre(Buffer.compare(kek1, kek2) !== 0);
        expect(() => unwrapKey(wrapKey(s, kek1), kek2)).toThrow(CryptoError);
      }),
    );
  });

  it('rejects truncated, extended and malformed input with CryptoError', () => {
    const kek = newSymmetricKey();
    const wrapped = wrapKey(newSymmetricKey(), kek);
    for (const bad of [
      new Uint8Array(0),
      wrapped.subarray(0, 40),
      wrapped.subarray(0, wrapped.length - 1),
      Uint8Array.from([...wrapped, 7]),
      Uint8Array.from([0, ...wrapped.subarray(1)]),
    ]) {
      expect(() => unwrapKey(bad, kek)).toThrow(CryptoError);
    }
    expect(() => unwrapKey(wrapped, kek.subarray(0, 16))).toThrow(CryptoError);
  });

  it('refuses a KEK that is not 32 bytes when wrapping', () => {
    expect(() => wrapKey(new Uint8Array(32), new Uint8Array(16))).toThrow(RangeError);
  });
});
