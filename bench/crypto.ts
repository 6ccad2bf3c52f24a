/**
 * Micro-benchmarks of the crypto facade: the raw throughput the rest of the
 * app builds on. `npx tsx bench/crypto.ts` prints them at production
 * parameters; `runCryptoBench` lets the end-to-end bench compare sealed
 * submissions per second with the bare argon2id rate (the design's floor).
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  CRYPTO_PARAMS,
  Kdf,
  cryptoReady,
  encryptChunks,
  generateBoxKeyPair,
  newSymmetricKey,
  openRecord,
  openSealedKey,
  randomBytes,
  sealKeyTo,
  sealRecord,
  type Argon2Params,
} from '../server/core/crypto/index.js';

export interface CryptoBenchOptions {
  argon2: Argon2Params;
  /** Duration of each measurement in seconds (default 2). */
  seconds?: number;
}

/** Run `operation` repeatedly for `seconds`; returns operations per second. */
function rate(seconds: number, operation: () => void): number {
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  let count = 0;
  while (performance.now() < deadline) {
    operation();
    count += 1;
  }
  return count / ((performance.now() - start) / 1000);
}

/** argon2id KEK derivations per second with `maxConcurrent` derivations in flight. */
async function argon2Rate(params: Argon2Params, seconds: number): Promise<number> {
  const kdf = new Kdf(params);
  const salt = kdf.newSalt();
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  let count = 0;
  const worker = async (): Promise<void> => {
    do {
      await kdf.deriveKek('correct horse battery staple', salt);
      count += 1;
    } while (performance.now() < deadline);
  };
  await Promise.all(Array.from({ length: params.maxConcurrent }, worker));
  return count / ((performance.now() - start) / 1000);
}

/** Secretstream encryption throughput in MB/s (10^6 bytes), plaintext bytes in. */
async function streamRate(seconds: number): Promise<number> {
  const piece = randomBytes(1024 * 1024);
  const deadline = performance.now() + seconds * 1000;
  let bytes = 0;
  async function* source(): AsyncGenerator<Uint8Array> {
    while (performance.now() < deadline) {
      bytes += piece.length;
      yield piece;
    }
  }
  const start = performance.now();
  for await (const item of encryptChunks(newSymmetricKey(), source())) void item;
  return bytes / 1e6 / ((performance.now() - start) / 1000);
}

export async function runCryptoBench(opts: CryptoBenchOptions): Promise<Record<string, number>> {
  await cryptoReady();
  const seconds = opts.seconds ?? 2;
  const recipient = generateBoxKeyPair();
  const key = newSymmetricKey();
  const grant = sealKeyTo(key, recipient.publicKey);
  const payload = randomBytes(4096);

  return {
    sealsPerSecond: rate(seconds, () => sealKeyTo(key, recipient.publicKey)),
    opensPerSecond: rate(seconds, () => openSealedKey(grant, recipient)),
    recordSealOpen4KiBPerSecond: rate(seconds, () => openRecord(key, 'payload', 'R-1', sealRecord(key, 'payload', 'R-1', payload))),
    argon2idDerivationsPerSecond: await argon2Rate(opts.argon2, seconds),
    streamEncryptMBps: await streamRate(seconds),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const params = CRYPTO_PARAMS.argon2;
  const results = await runCryptoBench({ argon2: { ...params } });
  console.log(
    `crypto bench (argon2id m=${params.memoryKiB} KiB, t=${params.iterations}, p=${params.parallelism}, concurrency ${params.maxConcurrent})`,
  );
  for (const [name, value] of Object.entries(results)) {
    console.log(`  ${name.padEnd(30)} ${value.toFixed(value < 100 ? 2 : 0)}`);
  }
}
