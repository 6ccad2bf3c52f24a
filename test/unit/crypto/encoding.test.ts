import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromBase64, fromHex, fromUtf8, toBase64, toBase64Url, toHex, utf8 } from '../../../server/core/crypto/index.js';

// These helpers use Buffer, not libsodium: no cryptoReady() needed.
describe('encoding helpers', () => {
  it('round-trip base64, hex and UTF-8', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.string({ unit: 'grapheme' }), (bytes, text) => {
        expect(fromBase64(toBase64(bytes))).toEqual(bytes);
        expect(fromHex(toHex(bytes))).toEqual(bytes);
        expect(fromUtf8(utf8(text))).toBe(text);
      }),
    );
  });

  it('produce the standard encodings', () => {
    const bytes = Uint8Array.of(0xfb, 0xff, 0x00, 0x10);
    expect(toBase64(bytes)).toBe('+/8AEA==');
    expect(toBase64Url(bytes)).toBe('-_8AEA');
    expect(toHex(bytes)).toBe('fbff0010');
    expect(fromHex('FBFF0010')).toEqual(bytes);
    expect(utf8('寄递')).toEqual(Uint8Array.of(0xe5, 0xaf, 0x84, 0xe9, 0x80, 0x92));
  });

  it('return plain Uint8Arrays, not pooled Buffers', () => {
    const decoded = fromHex('00ff');
    expect(Object.getPrototypeOf(decoded)).toBe(Uint8Array.prototype);
    expect(decoded.buffer.byteLength).toBe(2);
  });

  it('reject malformed input instead of guessing', () => {
    for (const bad of ['abc', 'ab=c', 'a b', '****', 'AB==CD==']) expect(() => fromBase64(bad)).toThrow(TypeError);
    for (const bad of ['abc', 'zz', '0x00']) expect(() => fromHex(bad)).toThrow(TypeError);
    expect(() => fromUtf8(Uint8Array.of(0xc3, 0x28))).toThrow(TypeError);
  });
});
