import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CryptoError,
  cryptoReady,
  generateBoxKeyPair,
  newSymmetricKey,
  openSealedKey,
  resealKey,
  sealKeyTo,
} from '../../../server/core/crypto/index.js';

beforeAll(cryptoReady);

const payload = fc.uint8Array({ maxLength: 96 });

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  const index = bit % (copy.length * 8);
  copy[index >> 3]! ^= 1 << (index & 7);
  return copy;
}

describe('sealKeyTo / openSealedKey', () => {
  it('round-trips to the recipient, 48 bytes of overhead', () => {
    fc.assert(
      fc.property(payload, (key) => {
        const recipient = generateBoxKeyPair();
        const sealed = sealKeyTo(key, recipient.publicKey);
        expect(sealed.length).toBe(48 + key.length);
        expect(openSealedKey(sealed, recipient)).toEqual(key);
      }),
      { numRuns: 50 },
    );
  });

  it('is randomised (fresh ephemeral key per grant)', () => {
    const recipient = generateBoxKeyPair();
    const key = newSymmetricKey();
    expect(sealKeyTo(key, recipient.publicKey)).not.toEqual(sealKeyTo(key, recipient.publicKey));
  });

  it('cannot be opened by anyone else', () => {
    const recipient = generateBoxKeyPair();
    const other = generateBoxKeyPair();
    const sealed = sealKeyTo(newSymmetricKey(), recipient.publicKey);
    expect(() => openSealedKey(sealed, other)).toThrow(CryptoError);
    // Right private key with a wrong public key: the nonce no longer matches.
    expect(() => openSealedKey(sealed, { publicKey: other.publicKey, privateKey: recipient.privateKey })).toThrow(CryptoError);
  });

  it('fails on a flipped bit anywhere', () => {
    const recipient = generateBoxKeyPair();
    fc.assert(
      fc.property(payload, fc.nat(), (key, bit) => {
        const sealed = sealKeyTo(key, recipient.publicKey);
        expect(() => openSealedKey(flipBit(sealed, bit), recipient)).toThrow(CryptoError);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects truncated and extended grants', () => {
    const recipient = generateBoxKeyPair();
    const sealed = sealKeyTo(newSymmetricKey(), recipient.publicKey);
    for (const bad of [new Uint8Array(0), sealed.subarray(0, 47), sealed.subarray(0, sealed.length - 1), Uint8Array.from([...sealed, 0])]) {
      expect(() => openSealedKey(bad, recipient)).toThrow(CryptoError);
    }
  });

  it('refuses a malformed public key when sealing', () => {
    expect(() => sealKeyTo(newSymmetricKey(), new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('resealKey', () => {
  it('passes a key on from one holder to another', () => {
    const custodian = generateBoxKeyPair();
    const reviewer = generateBoxKeyPair();
    const identityKey = newSymmetricKey();
    const grant = sealKeyTo(identityKey, custodian.publicKey);
    const resealed = resealKey(grant, custodian, reviewer.publicKey);
    expect(openSealedKey(resealed, reviewer)).toEqual(identityKey);
    expect(() => openSealedKey(resealed, custodian)).toThrow(CryptoError);
  });

  it('fails for someone who does not hold the grant', () => {
    const holder = generateBoxKeyPair();
    const outsider = generateBoxKeyPair();
    const grant = sealKeyTo(newSymmetricKey(), holder.publicKey);
    expect(() => resealKey(grant, outsider, outsider.publicKey)).toThrow(CryptoError);
  });
});
