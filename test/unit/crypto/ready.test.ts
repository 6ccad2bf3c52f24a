import { describe, expect, it } from 'vitest';
import { cryptoReady, newSymmetricKey, randomBytes, sha256, utf8 } from '../../../server/core/crypto/index.js';

// Each test file runs in its own process, so libsodium starts uninitialised here.
describe('cryptoReady', () => {
  it('sync functions throw a clear error until cryptoReady() has resolved', async () => {
    expect(() => randomBytes(4)).toThrow(/await cryptoReady\(\)/);
    expect(() => newSymmetricKey()).toThrow(/cryptoReady/);
    // node:crypto based helpers do not need libsodium.
    expect(sha256(utf8('abc'))).toHaveLength(32);

    const first = cryptoReady();
    const second = cryptoReady();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    expect(randomBytes(4)).toHaveLength(4);
    await cryptoReady();
    expect(newSymmetricKey()).toHaveLength(32);
  });
});
