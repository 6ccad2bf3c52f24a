import { beforeAll, describe, expect, it } from 'vitest';
import { Kdf, cryptoReady, fromHex, normaliseReceipt, standardPhcOrder, type Argon2Params } from '../../../server/core/crypto/index.js';

beforeAll(cryptoReady);

// Cheap parameters for tests; the real argon2 runs, only the cost is lower.
const CHEAP: Argon2Params = { memoryKiB: 1024, iterations: 1, parallelism: 1, maxConcurrent: 2 };
const salt = fromHex('00112233445566778899aabbccddeeff');

/** Counts the argon2 computations actually in flight, around the real call. */
class CountingKdf extends Kdf {
  active = 0;
  peak = 0;
  calls = 0;

  protected override async runArgon2<T>(compute: () => Promise<T>): Promise<T> {
    this.calls += 1;
    this.active += 1;
    this.peak = Math.max(this.peak, this.active);
    try {
      return await super.runArgon2(compute);
    } finally {
      this.active -= 1;
    }
  }
}

describe('Kdf.deriveKek', () => {
  const kdf = new Kdf(CHEAP);

  it('derives 32 bytes, deterministic for password and salt', async () => {
    const a = await kdf.deriveKek('correct horse battery staple', salt);
    expect(a).toHaveLength(32);
    expect(await kdf.deriveKek('correct horse battery staple', salt)).toEqual(a);
    expect(await kdf.deriveKek('correct horse battery stapler', salt)).not.toEqual(a);
    expect(await kdf.deriveKek('correct horse battery staple', kdf.newSalt())).not.toEqual(a);
  });

  it('depends on the cost parameters', async () => {
    const other = new Kdf({ ...CHEAP, iterations: 2 });
    expect(await other.deriveKek('pw', salt)).not.toEqual(await kdf.deriveKek('pw', salt));
  });

  it('treats composed and decomposed Unicode passwords alike (NFC)', async () => {
    expect(await kdf.deriveKek('caf\u00e9-密码', salt)).toEqual(await kdf.deriveKek('cafe\u0301-密码', salt));
  });

  it('refuses short salts', async () => {
    await expect(kdf.deriveKek('pw', new Uint8Array(8))).rejects.toThrow(RangeError);
  });

  it('newSalt gives 16 fresh bytes', () => {
    expect(kdf.newSalt()).toHaveLength(16);
    expect(kdf.newSalt()).not.toEqual(kdf.newSalt());
  });
});

describe('Kdf.hashPassword / verifyPassword', () => {
  const kdf = new Kdf(CHEAP);

  it('produces an encoded argon2id verifier with its own salt', async () => {
    const encoded = await kdf.hashPassword('s3cret');
    expect(encoded).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(await kdf.hashPassword('s3cret')).not.toBe(encoded);
    expect(await kdf.verifyPassword(encoded, 's3cret')).toBe(true);
    expect(await kdf.verifyPassword(encoded, 's3cret ')).toBe(false);
    expect(await kdf.verifyPassword(encoded, 'S3cret')).toBe(false);
  });

  it('writes parameters in the standard m,t,p order and still reads verifiers stored as m,p,t', async () => {
    const costly = new Kdf({ ...CHEAP, memoryKiB: 2048, iterations: 2, parallelism: 2 });
    const encoded = await costly.hashPassword('s3cret');
    expect(encoded).toMatch(/^\$argon2id\$v=19\$m=2048,t=2,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const legacy = encoded.replace('m=2048,t=2,p=2', 'm=2048,p=2,t=2');
    expect(await costly.verifyPassword(legacy, 's3cret')).toBe(true);
    expect(await costly.verifyPassword(legacy, 's3cret!')).toBe(false);
    expect(standardPhcOrder(legacy)).toBe(encoded);
  });

  it('returns false for a malformed verifier instead of throwing', async () => {
    expect(await kdf.verifyPassword('not a hash', 'x')).toBe(false);
    expect(await kdf.verifyPassword('', 'x')).toBe(false);
  });
});

describe('Kdf.deriveReceiptKeys', () => {
  const kdf = new Kdf(CHEAP);
  const receipt = '4912038475610293';

  it('splits one 64-byte derivation into lookup hash and KEK', async () => {
    const { lookupHash, kek } = await kdf.deriveReceiptKeys(receipt, salt);
    expect(lookupHash).toHaveLength(32);
    expect(kek).toHaveLength(32);
    expect(lookupHash).not.toEqual(kek);
  });

  it('is deterministic for the same receipt and salt, different otherwise', async () => {
    const a = await kdf.deriveReceiptKeys(receipt, salt);
    expect(await kdf.deriveReceiptKeys(receipt, salt)).toEqual(a);
    const otherReceipt = await kdf.deriveReceiptKeys('4912038475610294', salt);
    expect(otherReceipt.lookupHash).not.toEqual(a.lookupHash);
    expect(otherReceipt.kek).not.toEqual(a.kek);
    const otherSalt = await kdf.deriveReceiptKeys(receipt, fromHex('ff'.repeat(16)));
    expect(otherSalt.lookupHash).not.toEqual(a.lookupHash);
    expect(otherSalt.kek).not.toEqual(a.kek);
  });

  it('normalises how the receipt was typed', async () => {
    const a = await kdf.deriveReceiptKeys(receipt, salt);
    expect(await kdf.deriveReceiptKeys('4912-0384-7561-0293', salt)).toEqual(a);
    expect(await kdf.deriveReceiptKeys(' 4912 0384 7561 0293 ', salt)).toEqual(a);
    expect(await kdf.deriveReceiptKeys('４９１２０３８４７５６１０２９３', salt)).toEqual(a);
  });

  it('rejects anything that is not 16 digits', async () => {
    for (const bad of ['', '491203847561029', '49120384756102934', '4912a38475610293', '4912.0384.7561.0293']) {
      await expect(kdf.deriveReceiptKeys(bad, salt)).rejects.toThrow(RangeError);
      expect(normaliseReceipt(bad)).toBeNull();
    }
  });
});

describe('Kdf concurrency cap', () => {
  it('runs at most maxConcurrent argon2 computations at once', async () => {
    const kdf = new CountingKdf({ ...CHEAP, memoryKiB: 4096, maxConcurrent: 2 });
    const passwords = ['a', 'b', 'c', 'd', 'e', 'f'];
    const results = await Promise.all(passwords.map((password) => kdf.deriveKek(password, salt)));
    expect(kdf.peak).toBe(2);
    expect(kdf.active).toBe(0);
    expect(kdf.calls).toBe(6);
    // The queued derivations really ran, each on its own input.
    const reference = new Kdf({ ...CHEAP, memoryKiB: 4096, maxConcurrent: 6 });
    for (const [i, password] of passwords.entries()) {
      expect(results[i]).toEqual(await reference.deriveKek(password, salt));
    }
  });

  it('serialises completely with maxConcurrent 1, including verifications', async () => {
    const kdf = new CountingKdf({ ...CHEAP, maxConcurrent: 1 });
    const encoded = await kdf.hashPassword('pw');
    await Promise.all([
      kdf.verifyPassword(encoded, 'pw'),
      kdf.verifyPassword(encoded, 'nope'),
      kdf.deriveReceiptKeys('1234567890123456', salt),
      kdf.deriveKek('pw', salt),
    ]);
    expect(kdf.peak).toBe(1);
  });

  it('releases its slot when a computation fails', async () => {
    const kdf = new CountingKdf({ ...CHEAP, maxConcurrent: 1 });
    await expect(kdf.verifyPassword('$argon2id$v=19$m=1024,t=1,p=1$broken', 'x')).resolves.toBe(false);
    await expect(kdf.deriveKek('pw', salt)).resolves.toHaveLength(32);
    expect(kdf.active).toBe(0);
  });

  it('rejects invalid parameters', () => {
    expect(() => new Kdf({ ...CHEAP, maxConcurrent: 0 })).toThrow(RangeError);
    expect(() => new Kdf({ ...CHEAP, memoryKiB: 4 })).toThrow(RangeError);
    expect(() => new Kdf({ ...CHEAP, iterations: 1.5 })).toThrow(RangeError);
  });
});
