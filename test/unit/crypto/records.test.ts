import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CryptoError,
  CRYPTO_PARAMS,
  RECORD_PURPOSES,
  cryptoReady,
  newSymmetricKey,
  openJson,
  openRecord,
  sealJson,
  sealRecord,
  type RecordPurpose,
} from '../../../server/core/crypto/index.js';

beforeAll(cryptoReady);

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const purpose = fc.constantFrom(...RECORD_PURPOSES);
// Context ids are row ids; a line break would make a version-2 AD ambiguous, so they are refused.
const contextId = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((c) => !c.includes('\n'));
const plaintext = fc.uint8Array({ maxLength: 2048 });

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  const index = bit % (copy.length * 8);
  copy[index >> 3]! ^= 1 << (index & 7);
  return copy;
}

describe('sealRecord / openRecord', () => {
  it('round-trips any key, purpose, context id and plaintext', () => {
    fc.assert(
      fc.property(key, purpose, contextId, plaintext, (k, p, c, m) => {
        const sealed = sealRecord(k, p, c, m);
        expect(sealed.length).toBe(1 + 24 + m.length + 16);
        expect(sealed[0]).toBe(CRYPTO_PARAMS.recordVersion);
        expect(openRecord(k, p, c, sealed)).toEqual(m);
      }),
    );
  });

  it('uses a fresh nonce each time', () => {
    const k = newSymmetricKey();
    const a = sealRecord(k, 'payload', 'r1', new Uint8Array(8));
    const b = sealRecord(k, 'payload', 'r1', new Uint8Array(8));
    expect(a.subarray(1, 25)).not.toEqual(b.subarray(1, 25));
  });

  it('fails on a flipped bit anywhere', () => {
    fc.assert(
      fc.property(key, purpose, contextId, plaintext, fc.nat(), (k, p, c, m, bit) => {
        const sealed = sealRecord(k, p, c, m);
        expect(() => openRecord(k, p, c, flipBit(sealed, bit))).toThrow(CryptoError);
      }),
    );
  });

  it('fails with the wrong key', () => {
    fc.assert(
      fc.property(key, key, purpose, contextId, plaintext, (k1, k2, p, c, m) => {
        fc.pre(Buffer.compare(k1, k2) !== 0);
        expect(() => openRecord(k2, p, c, sealRecord(k1, p, c, m))).toThrow(CryptoError);
      }),
    );
  });

  it('fails with the wrong purpose (a message cannot pass for the payload)', () => {
    fc.assert(
      fc.property(key, purpose, purpose, contextId, plaintext, (k, p1, p2, c, m) => {
        fc.pre(p1 !== p2);
        expect(() => openRecord(k, p2, c, sealRecord(k, p1, c, m))).toThrow(CryptoError);
      }),
    );
  });

  it('fails with the wrong context id (no moving ciphertext between reports)', () => {
    fc.assert(
      fc.property(key, purpose, contextId, contextId, plaintext, (k, p, c1, c2, m) => {
        fc.pre(c1 !== c2);
        expect(() => openRecord(k, p, c2, sealRecord(k, p, c1, m))).toThrow(CryptoError);
      }),
    );
  });

  it('does not confuse purpose and context boundaries', () => {
    const k = newSymmetricKey();
    const sealed = sealRecord(k, 'file-meta', 'x', new Uint8Array(1));
    expect(() => openRecord(k, 'file' as RecordPurpose, 'meta/x', sealed)).toThrow(CryptoError);
  });

  it('rejects truncated, extended, empty and unknown-version input with CryptoError', () => {
    const k = newSymmetricKey();
    const sealed = sealRecord(k, 'note', 'r1', new Uint8Array([1, 2, 3]));
    for (const bad of [
      new Uint8Array(0),
      sealed.subarray(0, 40),
      sealed.subarray(0, sealed.length - 1),
      Uint8Array.from([...sealed, 0]),
      Uint8Array.from([3, ...sealed.subarray(1)]),
      Uint8Array.from([1, ...sealed.subarray(1)]),
    ]) {
      expect(() => openRecord(k, 'note', 'r1', bad)).toThrow(CryptoError);
    }
    expect(() => openRecord(new Uint8Array(16), 'note', 'r1', sealed)).toThrow(CryptoError);
    expect(() => openRecord(k, 'nonsense' as RecordPurpose, 'r1', sealed)).toThrow(CryptoError);
  });

  it('refuses to seal with a bad key, purpose or empty context id', () => {
    const k = newSymmetricKey();
    expect(() => sealRecord(new Uint8Array(31), 'payload', 'r1', new Uint8Array())).toThrow(RangeError);
    expect(() => sealRecord(k, 'nonsense' as RecordPurpose, 'r1', new Uint8Array())).toThrow(RangeError);
    expect(() => sealRecord(k, 'payload', '', new Uint8Array())).toThrow(RangeError);
  });

  it('accepts Buffers as inputs', () => {
    const k = Buffer.from(newSymmetricKey());
    const sealed = sealRecord(k, 'message', 'r9', Buffer.from('hello'));
    expect(Buffer.from(openRecord(k, 'message', 'r9', Buffer.from(sealed))).toString()).toBe('hello');
  });

  it('gives a generic error message', () => {
    const k = newSymmetricKey();
    try {
      openRecord(k, 'payload', 'r1', new Uint8Array(60));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CryptoError);
      expect((error as Error).message).toBe('Decryption or authentication failed');
    }
  });
});

describe('sealJson / openJson', () => {
  it('round-trips JSON values', () => {
    fc.assert(
      fc.property(key, purpose, contextId, fc.jsonValue(), (k, p, c, value) => {
        const sealed = sealJson(k, p, c, value);
        expect(openJson(k, p, c, sealed)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('keeps Chinese text intact', () => {
    const k = newSymmetricKey();
    const payload = { description: '疑似间谍专用器材，寄件人拒绝验视', waybills: ['SF1234567890'] };
    expect(openJson<typeof payload>(k, 'payload', 'R-1', sealJson(k, 'payload', 'R-1', payload))).toEqual(payload);
  });

  it('fails like openRecord on tampering and on non-JSON plaintext', () => {
    const k = newSymmetricKey();
    const sealed = sealJson(k, 'payload', 'R-1', { a: 1 });
    expect(() => openJson(k, 'payload', 'R-2', sealed)).toThrow(CryptoError);
    const notJson = sealRecord(k, 'payload', 'R-1', new Uint8Array([0xff, 0xfe]));
    expect(() => openJson(k, 'payload', 'R-1', notJson)).toThrow(CryptoError);
  });

  it('refuses values JSON cannot represent', () => {
    expect(() => sealJson(newSymmetricKey(), 'payload', 'R-1', undefined)).toThrow(TypeError);
  });
});
