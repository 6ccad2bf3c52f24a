/**
 * Opens what the project produces with an independent implementation built
 * only from @noble/ciphers, @noble/curves and @noble/hashes (no libsodium),
 * following the libsodium constructions as documented in docs/crypto.md.
 * Also checks the test vectors published in docs/crypto.md.
 */
import { readFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { chacha20, hchacha, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { Poly1305 } from '@noble/ciphers/_poly1305.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { argon2id } from '@noble/hashes/argon2.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  Kdf,
  blindIndex,
  cryptoReady,
  employeeLoginSalt,
  employeeThrottleKey,
  encryptChunks,
  fromBase64,
  fromHex,
  generateBoxKeyPair,
  newSymmetricKey,
  openRecord,
  normalisePhone,
  openSealedKey,
  rateLimitBucketKey,
  rateLimitCounterKey,
  sealKeyTo,
  SUBKEY_CONTEXTS,
  sealRecord,
  toHex,
  trustedDeviceKey,
  unwrapKey,
  utf8,
  fromUtf8,
  wrapKey,
  type RecordPurpose,
} from '../../../server/core/crypto/index.js';
import { pushStreamForTest, sealRecordWithNonce, wrapKeyWithNonce } from '../../../server/core/crypto/vectors.js';

beforeAll(cryptoReady);

// ---------------------------------------------------------------------------
// Independent implementation (noble primitives only)
// ---------------------------------------------------------------------------

/** "expand 32-byte k" as little-endian words: the ChaCha/Salsa constant. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

function toWords(bytes: Uint8Array): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint32Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(i * 4, true));
}

function fromWords(words: Uint32Array): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((word, i) => view.setUint32(i * 4, word, true));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function le64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
}

/** HSalsa20 / HChaCha20 of a 32-byte key and 16-byte input. */
function hsalsa20(key: Uint8Array, input16: Uint8Array): Uint8Array {
  const out = new Uint32Array(8);
  hsalsa(SIGMA, toWords(key), toWords(input16), out);
  return fromWords(out);
}

function hchacha20(key: Uint8Array, input16: Uint8Array): Uint8Array {
  const out = new Uint32Array(8);
  hchacha(SIGMA, toWords(key), toWords(input16), out);
  return fromWords(out);
}

/** crypto_secretbox_open_easy: XSalsa20-Poly1305, box = tag(16) ‖ ciphertext. */
function secretboxOpen(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  return xsalsa20poly1305(key, nonce).decrypt(box);
}

/** crypto_box_seal_open: X25519 with the ephemeral key, nonce = BLAKE2b-192(epk ‖ pk). */
function sealedBoxOpen(sealed: Uint8Array, publicKey: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const ephemeralPublicKey = sealed.subarray(0, 32);
  const nonce = blake2b(concat(ephemeralPublicKey, publicKey), { dkLen: 24 });
  const shared = x25519.getSharedSecret(privateKey, ephemeralPublicKey);
  const key = hsalsa20(shared, new Uint8Array(16)); // crypto_box_beforenm
  return secretboxOpen(sealed.subarray(32), nonce, key);
}

/**
 * Project record: version ‖ nonce(24) ‖ XChaCha20-Poly1305(ciphertext ‖ tag), AD =
 * parcelguard/v<version>/purpose/context, and for version 2 "\nname=value" per bound attribute in name order.
 */
function recordOpen(key: Uint8Array, purpose: string, contextId: string, sealed: Uint8Array, binding: Record<string, string> = {}): Uint8Array {
  const version = sealed[0];
  if (version !== 1 && version !== 2) throw new Error('version');
  const bound = version === 2 ? Object.keys(binding).sort().map((n) => `\n${n}=${binding[n]}`).join('') : '';
  const ad = utf8(`parcelguard/v${version}/${purpose}/${contextId}${bound}`);
  return xchacha20poly1305(key, sealed.subarray(1, 25), ad).decrypt(sealed.subarray(25));
}

/** Project wrapped key: version ‖ nonce(24) ‖ secretbox. */
function unwrap(wrapped: Uint8Array, kek: Uint8Array): Uint8Array {
  if (wrapped[0] !== 1) throw new Error('version');
  return secretboxOpen(wrapped.subarray(25), wrapped.subarray(1, 25), kek);
}

const TAG = { message: 0, push: 1, rekey: 2, final: 3 } as const;

/** crypto_secretstream_xchacha20poly1305 pull side, from the libsodium construction. */
class SecretStreamPull {
  #key: Uint8Array;
  #counter = 1;
  #inonce: Uint8Array;

  constructor(key: Uint8Array, header: Uint8Array) {
    if (header.length !== 24) throw new Error('header');
    this.#key = hchacha20(key, header.subarray(0, 16));
    this.#inonce = header.slice(16, 24);
  }

  #nonce(): Uint8Array {
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setUint32(0, this.#counter, true);
    nonce.set(this.#inonce, 4);
    return nonce;
  }

  pull(input: Uint8Array, ad: Uint8Array = new Uint8Array(0)): { message: Uint8Array; tag: number } {
    if (input.length < 17) throw new Error('short');
    const mlen = input.length - 17;
    const nonce = this.#nonce();
    const polyKey = chacha20(this.#key, nonce, new Uint8Array(64), undefined, 0).subarray(0, 32);
    const mac = new Poly1305(polyKey);
    mac.update(ad);
    mac.update(new Uint8Array((16 - (ad.length % 16)) % 16));
    // Block 1 carries the tag: decrypt its first byte, MAC the block as sent.
    const block = new Uint8Array(64);
    block[0] = input[0]!;
    const tagBlock = chacha20(this.#key, nonce, block, undefined, 1);
    const tag = tagBlock[0]!;
    tagBlock[0] = input[0]!;
    mac.update(tagBlock);
    const ciphertext = input.subarray(1, 1 + mlen);
    mac.update(ciphertext);
    // libsodium pads with (0x10 - 64 + mlen) & 0xf bytes, i.e. mlen mod 16 (its documented quirk).
    mac.update(new Uint8Array((0x10 - 64 + mlen) & 0xf));
    mac.update(le64(ad.length));
    mac.update(le64(64 + mlen));
    const expected = mac.digest();
    if (!equalBytes(expected, input.subarray(1 + mlen))) throw new Error('MAC');
    const message = chacha20(this.#key, nonce, ciphertext, undefined, 2);
    for (let i = 0; i < 8; i++) this.#inonce[i]! ^= expected[i]!;
    this.#counter = (this.#counter + 1) >>> 0;
    if ((tag & TAG.rekey) !== 0 || this.#counter === 0) this.rekey();
    return { message, tag };
  }

  rekey(): void {
    const next = chacha20(this.#key, this.#nonce(), concat(this.#key, this.#inonce), undefined, 0);
    this.#key = next.slice(0, 32);
    this.#inonce = next.slice(32, 40);
    this.#counter = 1;
  }
}

// ---------------------------------------------------------------------------

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const item of source) out.push(item);
  return out;
}

async function* fromArray(items: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* items;
}

describe('independent implementation opens project data', () => {
  it('(a) a grant from sealKeyTo', () => {
    for (let i = 0; i < 20; i++) {
      const recipient = generateBoxKeyPair();
      const key = newSymmetricKey();
      const opened = sealedBoxOpen(sealKeyTo(key, recipient.publicKey), recipient.publicKey, recipient.privateKey);
      expect(toHex(opened)).toBe(toHex(key));
    }
    const recipient = generateBoxKeyPair();
    const other = generateBoxKeyPair();
    const sealed = sealKeyTo(newSymmetricKey(), recipient.publicKey);
    expect(() => sealedBoxOpen(sealed, other.publicKey, other.privateKey)).toThrow();
    // The key pair libsodium made is a plain X25519 key pair.
    expect(toHex(x25519.getPublicKey(recipient.privateKey))).toBe(toHex(recipient.publicKey));
  });

  it('(b) a record from sealRecord, bound to purpose and context id', () => {
    const purposes: RecordPurpose[] = ['payload', 'identity', 'message', 'employee-identity'];
    for (const purpose of purposes) {
      const key = newSymmetricKey();
      const plaintext = utf8(`{"text":"寄递 ${purpose}"}`);
      const sealed = sealRecord(key, purpose, 'R-2026-000042', plaintext);
      expect(toHex(recordOpen(key, purpose, 'R-2026-000042', sealed))).toBe(toHex(plaintext));
      expect(() => recordOpen(key, purpose, 'R-2026-000043', sealed)).toThrow();
      expect(() => recordOpen(key, 'note', 'R-2026-000042', sealed)).toThrow();
    }
  });

  it('(b2) a version-2 record binds its row attributes', () => {
    const key = newSymmetricKey();
    const binding = { author_kind: 'reporter', author_id: '' };
    const sealed = sealRecord(key, 'message', 'R-1/M-1', utf8('我看到了'), binding);
    expect(sealed[0]).toBe(2);
    expect(fromUtf8(recordOpen(key, 'message', 'R-1/M-1', sealed, { author_id: '', author_kind: 'reporter' }))).toBe('我看到了');
    expect(() => recordOpen(key, 'message', 'R-1/M-1', sealed, { author_kind: 'staff', author_id: '' })).toThrow();
    expect(() => recordOpen(key, 'message', 'R-1/M-1', sealed)).toThrow();
  });

  it('(c) a wrapped key from wrapKey', () => {
    const kek = newSymmetricKey();
    const { privateKey } = generateBoxKeyPair();
    expect(toHex(unwrap(wrapKey(privateKey, kek), kek))).toBe(toHex(privateKey));
    expect(() => unwrap(wrapKey(privateKey, kek), newSymmetricKey())).toThrow();
  });

  it('(d) a multi-chunk file from encryptChunks', async () => {
    const fileKey = newSymmetricKey();
    const plaintext = randomFillSync(new Uint8Array(3 * 65536 + 12345));
    const items = await collect(encryptChunks(fileKey, fromArray([plaintext.subarray(0, 1000), plaintext.subarray(1000)])));
    expect(items).toHaveLength(5);
    const puller = new SecretStreamPull(fileKey, items[0]!);
    const tags: number[] = [];
    const out: Uint8Array[] = [];
    for (const item of items.slice(1)) {
      const { message, tag } = puller.pull(item);
      tags.push(tag);
      out.push(message);
    }
    expect(tags).toEqual([TAG.message, TAG.message, TAG.message, TAG.final]);
    expect(Buffer.compare(concat(...out), plaintext)).toBe(0);

    // Reordering breaks the chain for the independent reader too.
    const reordered = new SecretStreamPull(fileKey, items[0]!);
    reordered.pull(items[1]!);
    expect(() => reordered.pull(items[3]!)).toThrow();
  });

  it('(d) an empty file and every padding length', async () => {
    const fileKey = newSymmetricKey();
    for (const length of [0, 1, 15, 16, 17, 47, 48, 49, 63, 64, 65]) {
      const plaintext = randomFillSync(new Uint8Array(length));
      const items = await collect(encryptChunks(fileKey, fromArray([plaintext])));
      const { message, tag } = new SecretStreamPull(fileKey, items[0]!).pull(items[1]!);
      expect(tag).toBe(TAG.final);
      expect(toHex(message)).toBe(toHex(plaintext));
    }
  });

  it('(d) the REKEY path: tag-triggered and explicit rekeys', () => {
    const key = newSymmetricKey();
    const messages = [
      { plaintext: utf8('one'), tag: 'message' as const },
      { plaintext: utf8('two'), tag: 'rekey' as const },
      { plaintext: utf8('three'), tag: 'message' as const, rekeyAfter: true },
      { plaintext: utf8('four'), tag: 'push' as const },
      { plaintext: utf8('five'), tag: 'final' as const },
    ];
    const [header, ...cipher] = pushStreamForTest(key, messages);
    const puller = new SecretStreamPull(key, header!);
    cipher.forEach((item, i) => {
      const { message, tag } = puller.pull(item);
      expect(Buffer.from(message).toString()).toBe(Buffer.from(messages[i]!.plaintext).toString());
      expect(tag).toBe(TAG[messages[i]!.tag]);
      if (messages[i]!.rekeyAfter) puller.rekey();
    });
  });
});

describe('independent argon2id and HMAC agree with the project', () => {
  const params = { memoryKiB: 1024, iterations: 1, parallelism: 1, maxConcurrent: 2 };
  const kdf = new Kdf(params);
  const opts = { m: 1024, t: 1, p: 1 };

  it('deriveKek and deriveReceiptKeys are plain argon2id', async () => {
    const salt = fromHex('000102030405060708090a0b0c0d0e0f');
    expect(toHex(await kdf.deriveKek('пароль 密码', salt))).toBe(toHex(argon2id(utf8('пароль 密码'), salt, { ...opts, dkLen: 32 })));
    const receiptKeys = await kdf.deriveReceiptKeys('1234 5678 9012 3456', salt);
    const reference = argon2id(utf8('1234567890123456'), salt, { ...opts, dkLen: 64 });
    expect(toHex(receiptKeys.lookupHash)).toBe(toHex(reference.subarray(0, 32)));
    expect(toHex(receiptKeys.kek)).toBe(toHex(reference.subarray(32)));
  });

  it('hashPassword writes a standard PHC argon2id string', async () => {
    const encoded = await kdf.hashPassword('hunter2');
    const match = /^\$argon2id\$v=19\$m=1024,t=1,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(encoded);
    expect(match).not.toBeNull();
    const pad = (s: string): string => s + '='.repeat((4 - (s.length % 4)) % 4);
    const salt = fromBase64(pad(match![1]!));
    const hash = fromBase64(pad(match![2]!));
    expect(salt).toHaveLength(16);
    expect(toHex(argon2id(utf8('hunter2'), salt, { ...opts, dkLen: hash.length }))).toBe(toHex(hash));
  });

  it('blindIndex is HMAC-SHA-256 over "<kind>:<normalised>"', () => {
    const indexKey = newSymmetricKey();
    expect(toHex(blindIndex(indexKey, 'waybill', 'jd-0001 2345')!)).toBe(toHex(hmac(sha256, indexKey, utf8('waybill:JD00012345'))));
  });
});

// ---------------------------------------------------------------------------
// Test vectors published in docs/crypto.md
// ---------------------------------------------------------------------------

function readVectors(): Map<string, Record<string, string>> {
  const markdown = readFileSync(new URL('../../../docs/crypto.md', import.meta.url), 'utf8');
  const vectors = new Map<string, Record<string, string>>();
  for (const [, name, body] of markdown.matchAll(/```vector ([a-z0-9-]+)\n([\s\S]*?)```/g)) {
    const fields: Record<string, string> = {};
    for (const line of body!.split('\n')) {
      const at = line.indexOf('=');
      if (at > 0) fields[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    vectors.set(name!, fields);
  }
  return vectors;
}

describe('docs/crypto.md test vectors', () => {
  const vectors = readVectors();
  const get = (name: string): Record<string, string> => {
    const vector = vectors.get(name);
    if (!vector) throw new Error(`vector ${name} missing from docs/crypto.md`);
    return vector;
  };
  const hex = (vector: Record<string, string>, field: string): Uint8Array => fromHex(vector[field]!.replace(/\s+/g, ''));

  it('lists every vector', () => {
    expect([...vectors.keys()].sort()).toEqual([
      'audit-chain', 'audit-checkpoint', 'blind-index', 'employee-login-lookup', 'receipt-keys', 'receipt-salt', 'record',
      'record-v2', 'recovery-key', 'reward-claim', 'sealed-box', 'secretstream', 'subkeys', 'wrapped-key',
    ]);
  });

  it('record: reproduced by the project and opened by both implementations', () => {
    const v = get('record');
    const key = hex(v, 'key');
    const purpose = v.purpose as RecordPurpose;
    const contextId = v.contextId!;
    const sealed = hex(v, 'sealed');
    expect(v.ad).toBe(`parcelguard/v1/${purpose}/${contextId}`);
    expect(toHex(sealRecordWithNonce(key, purpose, contextId, hex(v, 'plaintext'), hex(v, 'nonce'), { version: 1 }))).toBe(toHex(sealed));
    expect(toHex(openRecord(key, purpose, contextId, sealed))).toBe(v.plaintext);
    expect(toHex(recordOpen(key, purpose, contextId, sealed))).toBe(v.plaintext);
  });

  it('wrapped key: reproduced by the project and opened by both implementations', () => {
    const v = get('wrapped-key');
    const kek = hex(v, 'kek');
    const wrapped = hex(v, 'wrapped');
    expect(toHex(wrapKeyWithNonce(hex(v, 'secret'), kek, hex(v, 'nonce')))).toBe(toHex(wrapped));
    expect(toHex(unwrapKey(wrapped, kek))).toBe(v.secret);
    expect(toHex(unwrap(wrapped, kek))).toBe(v.secret);
  });

  it('sealed box: opened with the fixed private key by both implementations', () => {
    const v = get('sealed-box');
    const privateKey = hex(v, 'privateKey');
    const publicKey = hex(v, 'publicKey');
    const sealed = hex(v, 'sealed');
    expect(toHex(x25519.getPublicKey(privateKey))).toBe(v.publicKey);
    expect(toHex(openSealedKey(sealed, { publicKey, privateKey }))).toBe(v.key);
    expect(toHex(sealedBoxOpen(sealed, publicKey, privateKey))).toBe(v.key);
  });

  it('blind index: project and noble HMAC agree with the published values', () => {
    const v = get('blind-index');
    const indexKey = hex(v, 'indexKey');
    expect(toHex(blindIndex(indexKey, 'phone', v.phoneInput!)!)).toBe(v.phoneIndex);
    expect(toHex(hmac(sha256, indexKey, utf8(v.phoneMacInput!)))).toBe(v.phoneIndex);
    expect(toHex(blindIndex(indexKey, 'waybill', v.waybillInput!)!)).toBe(v.waybillIndex);
    expect(toHex(hmac(sha256, indexKey, utf8(v.waybillMacInput!)))).toBe(v.waybillIndex);
  });

  it('receipt keys: project and noble argon2id agree with the published values', async () => {
    const v = get('receipt-keys');
    const params = { memoryKiB: Number(v.memoryKiB), iterations: Number(v.iterations), parallelism: Number(v.parallelism), maxConcurrent: 1 };
    const salt = hex(v, 'salt');
    const keys = await new Kdf(params).deriveReceiptKeys(v.receipt!, salt);
    expect(toHex(keys.lookupHash)).toBe(v.lookupHash);
    expect(toHex(keys.kek)).toBe(v.kek);
    const reference = argon2id(utf8(v.argon2Password!), salt, { m: params.memoryKiB, t: params.iterations, p: params.parallelism, dkLen: 64 });
    expect(toHex(reference)).toBe(`${v.lookupHash}${v.kek}`);
  });

  it('subkeys: project and noble HKDF-SHA-256 agree with the published values', () => {
    const v = get('subkeys');
    const roots = { blindIndexKey: hex(v, 'blindIndexKey'), rateLimitKey: hex(v, 'rateLimitKey') };
    const reference = (root: Uint8Array, info: string, length: number) => toHex(hkdf(sha256, root, undefined, utf8(info), length));
    expect(toHex(employeeLoginSalt(roots))).toBe(v.employeeLoginSalt);
    expect(reference(roots.blindIndexKey, SUBKEY_CONTEXTS.employeeLoginSalt, 16)).toBe(v.employeeLoginSalt);
    expect(toHex(employeeThrottleKey(roots))).toBe(v.employeeThrottle);
    expect(reference(roots.rateLimitKey, SUBKEY_CONTEXTS.employeeThrottle, 32)).toBe(v.employeeThrottle);
    expect(toHex(trustedDeviceKey(roots))).toBe(v.trustedDevice);
    expect(reference(roots.rateLimitKey, SUBKEY_CONTEXTS.trustedDevice, 32)).toBe(v.trustedDevice);
    const bucketKey = rateLimitBucketKey(roots, v.bucket!);
    expect(toHex(bucketKey)).toBe(v.bucketKey);
    expect(reference(roots.rateLimitKey, `parcelguard/v1/rate-limit/${v.bucket}`, 32)).toBe(v.bucketKey);
    expect(rateLimitCounterKey(bucketKey, v.day!, v.subject!)).toBe(v.counterKey);
    expect(toHex(hmac(sha256, bucketKey, utf8(`${v.day}|${v.subject}`)))).toBe(v.counterKey);
  });

  it('employee login lookup: project and noble argon2id agree with the published value', async () => {
    const v = get('employee-login-lookup');
    const params = { memoryKiB: Number(v.memoryKiB), iterations: Number(v.iterations), parallelism: Number(v.parallelism), maxConcurrent: 1 };
    expect(normalisePhone(v.phoneInput!)).toBe(v.argon2Password);
    const lookup = await new Kdf(params).deriveEmployeeLoginLookup(v.argon2Password!, hex(v, 'salt'));
    expect(toHex(lookup)).toBe(v.lookup);
    expect(toHex(argon2id(utf8(v.argon2Password!), hex(v, 'salt'), { m: params.memoryKiB, t: params.iterations, p: params.parallelism, dkLen: 32 }))).toBe(v.lookup);
  });
});
