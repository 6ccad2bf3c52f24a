import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  blindIndex,
  createSha256,
  fromHex,
  hashToken,
  hmacSha256,
  normalisePhone,
  normaliseWaybill,
  rateLimitCounterKey,
  sha256,
  toHex,
  utf8,
} from '../../../server/core/crypto/index.js';

// node:crypto based: no cryptoReady() needed.
const indexKey = fromHex('0b'.repeat(32));

describe('sha256 / createSha256 / hmacSha256', () => {
  it('match the FIPS 180-2 and RFC 4231 vectors', () => {
    expect(toHex(sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(hmacSha256(fromHex('0b'.repeat(20)), utf8('Hi There')))).toBe(
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    );
  });

  it('incremental hashing equals one-shot hashing, however the input is split', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (pieces) => {
        const hash = createSha256();
        for (const piece of pieces) hash.update(piece);
        expect(hash.digest()).toEqual(sha256(Buffer.concat(pieces)));
      }),
    );
  });

  it('hashToken is SHA-256 of the UTF-8 token', () => {
    expect(hashToken('abc')).toEqual(sha256(utf8('abc')));
    expect(hashToken('a')).not.toEqual(hashToken('b'));
  });
});

describe('rateLimitCounterKey', () => {
  const bucketKey = fromHex('42'.repeat(32));

  it('is a hex HMAC over "day|subject" that is stable within a day and rotates across days', () => {
    const today = rateLimitCounterKey(bucketKey, '2026-11-23', 'ipv4:203.0.113.7');
    expect(today).toMatch(/^[0-9a-f]{64}$/);
    expect(rateLimitCounterKey(bucketKey, '2026-11-23', 'ipv4:203.0.113.7')).toBe(today);
    expect(rateLimitCounterKey(bucketKey, '2026-11-24', 'ipv4:203.0.113.7')).not.toBe(today);
    expect(rateLimitCounterKey(bucketKey, '2026-11-23', 'ipv4:203.0.113.8')).not.toBe(today);
    expect(rateLimitCounterKey(fromHex('43'.repeat(32)), '2026-11-23', 'ipv4:203.0.113.7')).not.toBe(today);
    expect(today).toBe(toHex(hmacSha256(bucketKey, utf8('2026-11-23|ipv4:203.0.113.7'))));
    expect(today).not.toContain('203');
  });

  it('rejects malformed days and short keys', () => {
    expect(() => rateLimitCounterKey(bucketKey, '2026-1-5', 'ipv6:::/64')).toThrow(RangeError);
    expect(() => rateLimitCounterKey(bucketKey, '2026-13-01', 'ipv6:::/64')).toThrow(RangeError);
    expect(() => rateLimitCounterKey(new Uint8Array(0), '2026-11-23', 'ipv6:::/64')).toThrow(RangeError);
  });
});

describe('normaliseWaybill', () => {
  it('canonicalises case, separators and full-width characters', () => {
    expect(normaliseWaybill('sf 1234-5678_90')).toBe('SF1234567890');
    expect(normaliseWaybill('ＳＦ１２３４５６７８９０')).toBe('SF1234567890');
    expect(normaliseWaybill('  yt\u3000123456789 ')).toBe('YT123456789');
    expect(normaliseWaybill('JD0001#2345')).toBe('JD00012345');
  });

  it('returns null when fewer than 6 characters remain', () => {
    expect(normaliseWaybill('')).toBeNull();
    expect(normaliseWaybill('ab-12')).toBeNull();
    expect(normaliseWaybill('顺丰快递')).toBeNull();
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const once = normaliseWaybill(value);
        if (once !== null) expect(normaliseWaybill(once)).toBe(once);
      }),
    );
  });
});

describe('normalisePhone', () => {
  it('strips separators and the +86 / 0086 / 86 prefix from Chinese mobile numbers', () => {
    for (const typed of ['+86 138-0013-8000', '13800138000', '0086 13800138000', '8613800138000', '１３８００１３８０００', '(+86)138 0013 8000']) {
      expect(normalisePhone(typed)).toBe('13800138000');
    }
  });

  it('keeps other numbers as digits', () => {
    expect(normalisePhone('010-8765-4321')).toBe('01087654321');
    expect(normalisePhone('+86 10 8765 4321')).toBe('861087654321');
    expect(normalisePhone('+1 (415) 555-0100')).toBe('14155550100');
    expect(normalisePhone('12345')).toBe('12345');
  });

  it('returns null with fewer than 5 digits', () => {
    expect(normalisePhone('1234')).toBeNull();
    expect(normalisePhone('none')).toBeNull();
  });
});

describe('blindIndex', () => {
  it('indexes equal values equally however they were typed', () => {
    expect(blindIndex(indexKey, 'phone', '+86 138-0013-8000')).toEqual(blindIndex(indexKey, 'phone', '13800138000'));
    expect(blindIndex(indexKey, 'waybill', 'sf1234567890')).toEqual(blindIndex(indexKey, 'waybill', 'SF 1234 5678 90'));
    expect(blindIndex(indexKey, 'waybill', 'ＳＦ１２３４５６７８９０')).toEqual(blindIndex(indexKey, 'waybill', 'SF1234567890'));
  });

  it('is HMAC-SHA-256(indexKey, "<kind>:<normalised>")', () => {
    expect(blindIndex(indexKey, 'phone', '+86 138-0013-8000')).toEqual(hmacSha256(indexKey, utf8('phone:13800138000')));
  });

  it('separates kinds, keys and values', () => {
    const value = '13800138000';
    const phone = blindIndex(indexKey, 'phone', value);
    expect(blindIndex(indexKey, 'waybill', value)).not.toEqual(phone);
    expect(blindIndex(fromHex('0c'.repeat(32)), 'phone', value)).not.toEqual(phone);
    expect(blindIndex(indexKey, 'phone', '13800138001')).not.toEqual(phone);
  });

  it('returns null for values that do not normalise, and refuses a short key', () => {
    expect(blindIndex(indexKey, 'waybill', 'ab')).toBeNull();
    expect(blindIndex(indexKey, 'phone', '12')).toBeNull();
    expect(() => blindIndex(new Uint8Array(8), 'phone', '13800138000')).toThrow(RangeError);
  });
});
