import { beforeAll, describe, expect, it } from 'vitest';
import { blake2b } from '@noble/hashes/blake2.js';
import { checkClaimCode, commitClaimCode, cryptoReady, fromHex, newClaimCode, normaliseClaimCode, randomBytes, toHex, utf8 } from '../../../server/core/crypto/index.js';
import { DOC_VECTORS } from '../../../server/core/crypto/vectors.js';

beforeAll(cryptoReady);

describe('reward claim codes (docs/crypto.md §4.10)', () => {
  it('are 20 Crockford characters in four groups, fresh each time', () => {
    const codes = new Set(Array.from({ length: 200 }, () => newClaimCode()));
    expect(codes.size).toBe(200);
    for (const code of codes) expect(code).toMatch(/^([0-9A-HJKMNP-TV-Z]{5}-){3}[0-9A-HJKMNP-TV-Z]{5}$/);
  });

  it('are read as typed: lower case, spaces, full-width and look-alikes; anything else is refused', () => {
    expect(normaliseClaimCode('abcde fghjk-mnpqr stvwx')).toBe('ABCDEFGHJKMNPQRSTVWX');
    expect(normaliseClaimCode('ＡＢＣＤＥ-ＦＧＨＪＫ-ＭＮＰＱＲ-ＳＴＶＷＸ')).toBe('ABCDEFGHJKMNPQRSTVWX');
    expect(normaliseClaimCode('OOOOO-IIIII-LLLLL-00000')).toBe('00000111111111100000');
    expect(normaliseClaimCode('ABCDE-FGHJK-MNPQR-STVW')).toBeNull();
    expect(normaliseClaimCode('ABCDE-FGHJK-MNPQR-STVWU')).toBeNull();
    expect(normaliseClaimCode('')).toBeNull();
  });

  it('open their own commitment only: not another code, case or salt', () => {
    const code = newClaimCode();
    const claim = commitClaimCode('PG-7K3M-Q9TX', code);
    expect(checkClaimCode('PG-7K3M-Q9TX', code, claim)).toBe(true);
    expect(checkClaimCode('PG-7K3M-Q9TY', code, claim)).toBe(false);
    expect(checkClaimCode('PG-7K3M-Q9TX', newClaimCode(), claim)).toBe(false);
    expect(checkClaimCode('PG-7K3M-Q9TX', code, { ...claim, salt: randomBytes(32) })).toBe(false);
    expect(checkClaimCode('PG-7K3M-Q9TX', code, { ...claim, commitment: claim.commitment.subarray(0, 16) })).toBe(false);
    expect(checkClaimCode('PG-7K3M-Q9TX', 'not a code', claim)).toBe(false);
  });

  it('match the published vector, recomputed with an independent BLAKE2b', () => {
    const v = DOC_VECTORS['reward-claim']!();
    const message = utf8(`parcelguard reward claim v1\0${v.caseNumber}\0${v.canonicalCode}`);
    expect(toHex(blake2b(message, { key: fromHex(v.salt!), dkLen: 32 }))).toBe(v.commitment);
    expect(checkClaimCode(v.caseNumber!, v.code!, { salt: fromHex(v.salt!), commitment: fromHex(v.commitment!) })).toBe(true);
  });
});
