import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, formatKdfCost, Kdf, parseKdfCost } from '../../../server/core/crypto/index.js';

beforeAll(async () => {
  await cryptoReady();
});

const cheap = { memoryKiB: 1024, iterations: 1, parallelism: 1, maxConcurrent: 2 };
const dearer = { memoryKiB: 2048, iterations: 2, parallelism: 1, maxConcurrent: 2 };

describe('stored argon2id costs', () => {
  it('round-trip through their stored form and reject malformed or out-of-range ones', () => {
    expect(formatKdfCost(cheap)).toBe('argon2id:m=1024,t=1,p=1');
    expect(parseKdfCost('argon2id:m=65536,t=3,p=1')).toEqual({ memoryKiB: 65536, iterations: 3, parallelism: 1 });
    for (const bad of ['', 'argon2i:m=1024,t=1,p=1', 'argon2id:m=8,t=1,p=1', 'argon2id:m=1024,t=0,p=1', 'argon2id:m=1024,t=1,p=99']) {
      expect(() => parseKdfCost(bad)).toThrow(RangeError);
    }
  });

  it('a key derived under an old cost is re-derived exactly after the configured cost changes', async () => {
    const salt = new Uint8Array(16).fill(7);
    const before = new Kdf(cheap);
    const oldKek = await before.deriveKek('correct horse battery staple', salt);
    const oldReceipt = await before.deriveReceiptKeys('1234 5678 9012 3456', salt);

    const after = new Kdf(dearer);
    expect(Buffer.from(await after.deriveKek('correct horse battery staple', salt))).not.toEqual(Buffer.from(oldKek));
    expect(Buffer.from(await after.deriveKek('correct horse battery staple', salt, before.currentCost()))).toEqual(Buffer.from(oldKek));
    const again = await after.deriveReceiptKeys('1234567890123456', salt, before.currentCost());
    expect(Buffer.from(again.lookupHash)).toEqual(Buffer.from(oldReceipt.lookupHash));
    expect(Buffer.from(again.kek)).toEqual(Buffer.from(oldReceipt.kek));
  });
});
