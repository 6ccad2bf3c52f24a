import { beforeAll, describe, expect, it } from 'vitest';
import { CryptoError, cryptoReady, generateBoxKeyPair, openBundle, randomBytes, sealBundle } from '../../../server/core/crypto/index.js';

beforeAll(async () => {
  await cryptoReady();
});

async function* pieces(data: Uint8Array, size: number) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
async function collect(source: AsyncIterable<Uint8Array>) {
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p);
  return Buffer.concat(parts);
}

describe('sealed bundles', () => {
  it('round-trip several chunks whatever the piece sizes, and open for the recipient only', async () => {
    const body = generateBoxKeyPair();
    const data = randomBytes(200_000);
    const sealed = await collect(sealBundle(body.publicKey, pieces(data, 7_001)));
    expect(sealed.length).toBe(10 + 80 + (4 + 24) + 4 * (4 + 17) + 200_000); // magic, key, header frame, four chunk frames
    expect(await collect(openBundle(body, pieces(sealed, 999)))).toEqual(Buffer.from(data));
    await expect(collect(openBundle(generateBoxKeyPair(), pieces(sealed, 4096)))).rejects.toThrow(CryptoError);
  });

  it('refuses a bundle that was altered, cut short, or given an oversized frame', async () => {
    const body = generateBoxKeyPair();
    const sealed = await collect(sealBundle(body.publicKey, pieces(randomBytes(70_000), 70_000)));
    const flipped = Buffer.from(sealed);
    flipped[sealed.length - 10]! ^= 1;
    await expect(collect(openBundle(body, pieces(flipped, 4096)))).rejects.toThrow(CryptoError);
    await expect(collect(openBundle(body, pieces(sealed.subarray(0, sealed.length - 30), 4096)))).rejects.toThrow(CryptoError);
    const huge = Buffer.from(sealed);
    huge.writeUInt32BE(0x7fffffff, 90);
    await expect(collect(openBundle(body, pieces(huge, 4096)))).rejects.toThrow(CryptoError);
    await expect(collect(openBundle(body, pieces(Buffer.from('not a bundle at all'), 4)))).rejects.toThrow(CryptoError);
  });
});
