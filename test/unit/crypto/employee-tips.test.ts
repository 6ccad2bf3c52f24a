import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cryptoReady,
  employeeTipKeyPair,
  employeeTipSecret,
  employeeTipTag,
  generateBoxKeyPair,
  publicKeyFromPrivate,
  toHex,
  utf8,
  hmacSha256,
} from '../../../server/core/crypto/index.js';

beforeAll(async () => {
  await cryptoReady();
});

// Private key 01 02 … 20; S, tag and seed computed independently (Python hmac/hashlib, RFC 5869 by hand).
const PRIVATE_KEY = new Uint8Array(32).map((_, i) => i + 1);
const VECTOR = {
  secret: '94e48387eaf56df31972fb581dbbfe780edb9f0e598a7ae5e23a1e0cf8082f2c',
  tag0: '3631ba328ed3f8275bb02d8f13d9cd4467bb3cc7b61c4d56da6ea82b9586d51c',
  seed0: '909e88d2574084489924b9dcdc4d9c66eb1455d2486dd1b60a3ee0ef5d185d2a',
};

describe('employee tip secret, tags and tip key pairs', () => {
  it('match the independently computed vector', () => {
    const secret = employeeTipSecret(PRIVATE_KEY);
    expect(toHex(secret)).toBe(VECTOR.secret);
    const tag = employeeTipTag(secret, 0);
    expect(toHex(tag)).toBe(VECTOR.tag0);
    expect(toHex(hmacSha256(secret, utf8(`tip-key|${toHex(tag)}`)))).toBe(VECTOR.seed0);
    // crypto_box_seed_keypair: private key = SHA-512(seed)[0..32], public key = X25519(private, base).
    const pair = employeeTipKeyPair(secret, tag);
    const expected = createHash('sha512').update(Buffer.from(VECTOR.seed0, 'hex')).digest().subarray(0, 32);
    expect(toHex(pair.privateKey)).toBe(expected.toString('hex'));
    expect(toHex(pair.publicKey)).toBe(toHex(publicKeyFromPrivate(pair.privateKey)));
  });

  it('differ per ordinal and per account, and the tip key is never the account key', () => {
    const a = generateBoxKeyPair();
    const b = generateBoxKeyPair();
    const sa = employeeTipSecret(a.privateKey);
    const sb = employeeTipSecret(b.privateKey);
    const tags = new Set([0, 1, 2].flatMap((n) => [toHex(employeeTipTag(sa, n)), toHex(employeeTipTag(sb, n))]));
    expect(tags.size).toBe(6);
    const tip = employeeTipKeyPair(sa, employeeTipTag(sa, 0));
    expect(toHex(tip.publicKey)).not.toBe(toHex(a.publicKey));
    expect(toHex(employeeTipKeyPair(sa, employeeTipTag(sa, 0)).publicKey)).toBe(toHex(tip.publicKey));
    expect(toHex(employeeTipKeyPair(sb, employeeTipTag(sa, 0)).publicKey)).not.toBe(toHex(tip.publicKey));
  });

  it('refuse a key that is not 32 bytes and a negative ordinal', () => {
    expect(() => employeeTipSecret(new Uint8Array(16))).toThrow(RangeError);
    expect(() => employeeTipTag(new Uint8Array(32), -1)).toThrow(RangeError);
  });
});
