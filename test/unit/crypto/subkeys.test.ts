import { describe, expect, it } from 'vitest';
import { hkdfSync } from 'node:crypto';
import { deriveSubkey, employeeLoginSalt, employeeThrottleKey, fromHex, rateLimitBucketKey, trustedDeviceKey, toHex, utf8 } from '../../../server/core/crypto/index.js';

const roots = { blindIndexKey: fromHex('0a'.repeat(32)), rateLimitKey: fromHex('0b'.repeat(32)) };

describe('subkeys', () => {
  it('give every purpose its own key, none equal to a root', () => {
    const keys = [
      employeeLoginSalt(roots),
      employeeThrottleKey(roots),
      trustedDeviceKey(roots),
      rateLimitBucketKey(roots, 'report-submit'),
      rateLimitBucketKey(roots, 'staff-auth-source'),
      rateLimitBucketKey(roots, 'followup-login'),
    ].map(toHex);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect([toHex(roots.blindIndexKey), toHex(roots.rateLimitKey)]).not.toContain(key);
    expect(employeeLoginSalt(roots)).toHaveLength(16);
  });

  it('are RFC 5869 HKDF-SHA-256 with an empty salt and the context as info', () => {
    const expected = new Uint8Array(hkdfSync('sha256', roots.rateLimitKey, new Uint8Array(0), utf8('parcelguard/v1/trusted-device'), 32));
    expect(toHex(trustedDeviceKey(roots))).toBe(toHex(expected));
    // RFC 5869 test case 3 (empty salt and info).
    const ikm = fromHex('0b'.repeat(22));
    expect(toHex(deriveSubkey(ikm, '', 42))).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });

  it('hand out copies: wiping one does not wipe the cached key', () => {
    const first = trustedDeviceKey(roots);
    first.fill(0);
    expect(toHex(trustedDeviceKey(roots))).not.toBe(toHex(first));
  });

  it('refuse short roots and odd bucket names', () => {
    expect(() => deriveSubkey(new Uint8Array(8), 'x')).toThrow(RangeError);
    expect(() => rateLimitBucketKey(roots, 'Staff Auth')).toThrow(RangeError);
    expect(() => rateLimitBucketKey(roots, '')).toThrow(RangeError);
  });
});
