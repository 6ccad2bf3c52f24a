import { randomFillSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CryptoError,
  ciphertextChunkSize,
  createSha256,
  cryptoReady,
  decryptChunks,
  encryptChunks,
  newSymmetricKey,
} from '../../../server/core/crypto/index.js';

beforeAll(cryptoReady);

const CHUNK = 64 * 1024;

async function* fromArray(items: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* items;
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const item of source) out.push(item);
  return out;
}

async function encrypt(key: Uint8Array, pieces: readonly Uint8Array[]): Promise<Uint8Array[]> {
  return collect(encryptChunks(key, fromArray(pieces)));
}

async function decrypt(key: Uint8Array, items: readonly Uint8Array[]): Promise<Uint8Array> {
  return concat(await collect(decryptChunks(key, fromArray(items))));
}

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(pieces));
}

/** Byte equality without vitest's element-by-element deep diff, which is slow on megabytes. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

/** Split `bytes` into pieces at the given cut points, as an uploader might deliver them. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let last = 0;
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.subarray(last, point));
    last = point;
  }
  return pieces;
}

describe('encryptChunks / decryptChunks', () => {
  it('round-trip any plaintext however the source is split', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 3 * CHUNK + 100 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (key, length, cuts) => {
          const plaintext = randomFillSync(new Uint8Array(length));
          const items = await encrypt(key, split(plaintext, cuts));
          expectSameBytes(await decrypt(key, items), plaintext);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('yield the header, then one message per 64 KiB, the last one final', async () => {
    const key = newSymmetricKey();
    const cases: Array<[number, number[]]> = [
      [0, [0]],
      [1, [1]],
      [CHUNK, [CHUNK]],
      [CHUNK + 1, [CHUNK, 1]],
      [3 * CHUNK, [CHUNK, CHUNK, CHUNK]],
    ];
    for (const [length, plainSizes] of cases) {
      const items = await encrypt(key, [new Uint8Array(length)]);
      expect(items[0]).toHaveLength(24);
      expect(items.slice(1).map((item) => item.length)).toEqual(plainSizes.map(ciphertextChunkSize));
    }
    expect(ciphertextChunkSize(10)).toBe(27);
  });

  it('re-buffer many tiny source pieces into full chunks', async () => {
    const key = newSymmetricKey();
    const pieces = Array.from({ length: 3000 }, (_, i) => new Uint8Array(50).fill(i & 0xff));
    const items = await encrypt(key, pieces);
    expect(items.slice(1).map((item) => item.length)).toEqual([CHUNK + 17, CHUNK + 17, 150_000 - 2 * CHUNK + 17]);
    expectSameBytes(await decrypt(key, items), concat(pieces));
  });

  it('use a fresh header per stream', async () => {
    const key = newSymmetricKey();
    const [a] = await encrypt(key, [new Uint8Array(10)]);
    const [b] = await encrypt(key, [new Uint8Array(10)]);
    expect(a).not.toEqual(b);
  });

  describe('tampering', () => {
    const plaintext = randomFillSync(new Uint8Array(2 * CHUNK + 500));
    let key: Uint8Array;
    let items: Uint8Array[];
    beforeAll(async () => {
      key = newSymmetricKey();
      items = await encrypt(key, [plaintext]);
      expect(items).toHaveLength(4);
    });

    async function fails(bad: Uint8Array[], withKey?: Uint8Array): Promise<void> {
      await expect(decrypt(withKey ?? key, bad)).rejects.toBeInstanceOf(CryptoError);
    }

    it('fails on a flipped bit in any item', async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: 3 }), fc.nat(), async (which, bit) => {
          const bad = items.map((item) => item.slice());
          const target = bad[which]!;
          const index = bit % (target.length * 8);
          target[index >> 3]! ^= 1 << (index & 7);
          await fails(bad);
        }),
        { numRuns: 40 },
      );
    });

    it('fails with the wrong key', async () => {
      await fails(items, newSymmetricKey());
      await fails(items, new Uint8Array(16));
    });

    it('fails when messages are reordered or dropped', async () => {
      await fails([items[0]!, items[2]!, items[1]!, items[3]!]);
      await fails([items[0]!, items[1]!, items[3]!]);
      await fails([items[0]!, items[2]!, items[3]!]);
    });

    it('fails when the stream is truncated before the final message', async () => {
      await fails(items.slice(0, 3));
      await fails(items.slice(0, 1));
      await fails([]);
    });

    it('fails when anything follows the final message', async () => {
      await fails([...items, items[3]!]);
      await fails([...items, new Uint8Array(0)]);
      const other = await encrypt(key, [new Uint8Array(5)]);
      await fails([...items, ...other.slice(1)]);
    });

    it('withholds the final plaintext until the source has ended cleanly', async () => {
      const seen: number[] = [];
      await expect(
        (async () => {
          for await (const chunk of decryptChunks(key, fromArray([...items, items[3]!]))) seen.push(chunk.length);
        })(),
      ).rejects.toBeInstanceOf(CryptoError);
      expect(seen).toEqual([CHUNK, CHUNK]);
    });

    it('fails on a bad header, a missing header, and messages from another stream', async () => {
      await fails([items[0]!.subarray(0, 23), ...items.slice(1)]);
      await fails(items.slice(1));
      const other = await encrypt(key, [plaintext]);
      await fails([items[0]!, items[1]!, other[2]!, items[3]!]);
      await fails([other[0]!, ...items.slice(1)]);
    });

    it('fails on truncated or oversized messages', async () => {
      await fails([items[0]!, items[1]!.subarray(0, 100), items[2]!, items[3]!]);
      await fails([items[0]!, new Uint8Array(16), items[2]!, items[3]!]);
      await fails([items[0]!, new Uint8Array(CHUNK + 18), items[2]!, items[3]!]);
    });
  });

  it('stop cleanly when the consumer stops early', async () => {
    const key = newSymmetricKey();
    for await (const item of encryptChunks(key, fromArray([new Uint8Array(3 * CHUNK)]))) {
      expect(item).toHaveLength(24);
      break;
    }
  });

  it('reject a non-byte source item and a bad key', async () => {
    const key = newSymmetricKey();
    await expect(collect(encryptChunks(key, fromArray(['text' as unknown as Uint8Array])))).rejects.toThrow(TypeError);
    await expect(collect(encryptChunks(new Uint8Array(8), fromArray([])))).rejects.toThrow(RangeError);
  });
});

describe('streaming 100 MB', () => {
  it('round-trips with flat memory', async () => {
    const total = 100 * 1024 * 1024;
    const pieceBytes = 1_000_003; // deliberately not a multiple of the chunk size
    const key = newSymmetricKey();
    const inputHash = createSha256();
    const outputHash = createSha256();

    async function* generate(): AsyncGenerator<Uint8Array> {
      let remaining = total;
      while (remaining > 0) {
        const piece = randomFillSync(new Uint8Array(Math.min(pieceBytes, remaining)));
        inputHash.update(piece);
        remaining -= piece.length;
        yield piece;
      }
    }

    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakArrayBuffers = before.arrayBuffers;
    let received = 0;
    let items = 0;
    for await (const chunk of decryptChunks(key, encryptChunks(key, generate()))) {
      outputHash.update(chunk);
      received += chunk.length;
      if (++items % 16 === 0) {
        const now = process.memoryUsage();
        peakRss = Math.max(peakRss, now.rss);
        peakArrayBuffers = Math.max(peakArrayBuffers, now.arrayBuffers);
      }
    }
    expect(received).toBe(total);
    expect(outputHash.digest()).toEqual(inputHash.digest());
    const limit = 64 * 1024 * 1024;
    expect(peakRss - before.rss).toBeLessThan(limit);
    expect(peakArrayBuffers - before.arrayBuffers).toBeLessThan(limit);
  });
});
