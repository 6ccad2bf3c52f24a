import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  constantTimeEqual,
  cryptoReady,
  formatRecoveryKey,
  generateBoxKeyPair,
  generateReceipt,
  newRecoveryKey,
  newSymmetricKey,
  newToken,
  parseRecoveryKey,
  randomBytes,
} from '../../../server/core/crypto/index.js';

beforeAll(cryptoReady);

describe('random values', () => {
  it('randomBytes returns the requested length and differs between calls', () => {
    expect(randomBytes(0)).toHaveLength(0);
    expect(randomBytes(77)).toHaveLength(77);
    expect(randomBytes(32)).not.toEqual(randomBytes(32));
    expect(() => randomBytes(-1)).toThrow(RangeError);
    expect(() => randomBytes(1.5)).toThrow(RangeError);
  });

  it('keys and key pairs have libsodium sizes', () => {
    expect(newSymmetricKey()).toHaveLength(32);
    expect(newRecoveryKey()).toHaveLength(32);
    const pair = generateBoxKeyPair();
    expect(Object.keys(pair).sort()).toEqual(['privateKey', 'publicKey']);
    expect(pair.publicKey).toHaveLength(32);
    expect(pair.privateKey).toHaveLength(32);
  });

  it('newToken is unpadded base64url of the requested entropy', () => {
    const token = newToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newToken()).not.toBe(token);
  });
});

describe('generateReceipt', () => {
  it('is 16 decimal digits', () => {
    for (let i = 0; i < 200; i++) expect(generateReceipt()).toMatch(/^\d{16}$/);
  });

  it('has evenly distributed digits in every position (chi-squared sanity check)', () => {
    const samples = 4000;
    const counts = Array.from({ length: 16 }, () => new Array<number>(10).fill(0));
    const seen = new Set<string>();
    for (let i = 0; i < samples; i++) {
      const receipt = generateReceipt();
      seen.add(receipt);
      [...receipt].forEach((digit, position) => (counts[position]![Number(digit)]! += 1));
    }
    expect(seen.size).toBe(samples);
    const expected = samples / 10;
    for (const row of counts) {
      const chi2 = row.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
      // 9 degrees of freedom: p < 1e-6 at ~48.
      expect(chi2).toBeLessThan(48);
    }
  });
});

describe('constantTimeEqual', () => {
  it('agrees with ordinary equality', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(Buffer.compare(a, b) === 0);
        expect(constantTimeEqual(a, a.slice())).toBe(true);
      }),
    );
  });

  it('returns false for different lengths', () => {
    expect(constantTimeEqual(new Uint8Array(3), new Uint8Array(4))).toBe(false);
  });
});

describe('recovery keys', () => {
  const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

  it('format as 13 groups of 4 Crockford base32 characters and parse back', () => {
    fc.assert(
      fc.property(bytes32, (key) => {
        const text = formatRecoveryKey(key);
        expect(text).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){12}$/);
        expect(parseRecoveryKey(text)).toEqual(key);
      }),
    );
  });

  it('match a known encoding (RFC 4648 base32 bit order, Crockford alphabet)', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(formatRecoveryKey(key)).toBe('000G-40R4-0M30-E209-185G-R38E-1W81-24GK-2GAH-C5RR-34D1-P70X-3RFG');
    expect(formatRecoveryKey(new Uint8Array(32).fill(255))).toBe('ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZG');
  });

  it('parse tolerantly: case, spaces, dashes, I/L/O', () => {
    fc.assert(
      fc.property(bytes32, (key) => {
        const text = formatRecoveryKey(key);
        const sloppy = text.toLowerCase().replaceAll('-', ' ').replaceAll('1', 'l').replaceAll('0', 'O');
        expect(parseRecoveryKey(sloppy)).toEqual(key);
        expect(parseRecoveryKey(`  ${text.replaceAll('-', '')}  `)).toEqual(key);
        expect(parseRecoveryKey(text.replaceAll('1', 'I'))).toEqual(key);
      }),
    );
  });

  it('returns null for anything that is not a recovery key', () => {
    const text = formatRecoveryKey(newRecoveryKey());
    expect(parseRecoveryKey('')).toBeNull();
    expect(parseRecoveryKey(text.slice(0, -1))).toBeNull();
    expect(parseRecoveryKey(`${text}0`)).toBeNull();
    expect(parseRecoveryKey(`U${text.slice(1)}`)).toBeNull(); // U is not in the alphabet
    expect(parseRecoveryKey(`*${text.slice(1)}`)).toBeNull();
    // The last character carries one data bit and four zero padding bits.
    expect(parseRecoveryKey(`${text.slice(0, -1)}1`)).toBeNull();
  });

  it('refuses to format a key of the wrong size', () => {
    expect(() => formatRecoveryKey(new Uint8Array(31))).toThrow(RangeError);
  });
});
