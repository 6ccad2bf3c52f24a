import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromCrockford, fromHex, isCrockford, normaliseCrockford, toCrockford } from '../../../server/core/crypto/index.js';
import { normaliseInviteCode } from '../../../server/core/organisations/invite-code.js';

// Fixed vectors from the hand-written codecs these functions replaced: case numbers issued
// before must read the same, and typed invite codes must normalise to the same stored hash input.
describe('Crockford base32', () => {
  it('encodes 40-bit case numbers as the earlier codec did', () => {
    expect(toCrockford(fromHex('0000000000'))).toBe('00000000');
    expect(toCrockford(fromHex('ffffffffff'))).toBe('ZZZZZZZZ');
    expect(toCrockford(fromHex('123456789a'))).toBe('28T5CY4T');
    expect(toCrockford(fromHex('deadbeef01'))).toBe('VTPVXVR1');
  });

  it('round-trips any bytes and refuses foreign characters and non-zero padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(fromCrockford(toCrockford(bytes))).toEqual(bytes);
      }),
    );
    expect(fromCrockford('U0000000')).toBeNull();
    expect(fromCrockford('*0000000')).toBeNull();
    expect(fromCrockford('01')).toBeNull(); // 10 bits: the 2 padding bits of '1' are not zero
  });

  it('normalises what a person typed and recognises canonical text of any length', () => {
    expect(normaliseCrockford(' ab-cd ilo ')).toBe('ABCD110');
    expect(normaliseCrockford('ＡＢ１２')).toBe('AB12');
    expect(isCrockford('7K3M9QXDZ')).toBe(true);
    expect(isCrockford('7K3U')).toBe(false);
    expect(isCrockford('7k3m')).toBe(false);
    expect(isCrockford('7K3-')).toBe(false);
  });

  it('normalises invite codes as before', () => {
    expect(normaliseInviteCode('7k3m-9qxd-z0z1')).toBe('7K3M9QXDZ0Z1');
    expect(normaliseInviteCode('7K3M 9QXD ZOZL')).toBe('7K3M9QXDZ0Z1');
    expect(normaliseInviteCode('７K3M9QXDZ0Z1')).toBe('7K3M9QXDZ0Z1');
    expect(normaliseInviteCode('7K3M9QXDZ0ZU')).toBeNull();
    expect(normaliseInviteCode('7K3M9QXDZ0Z')).toBeNull();
    expect(normaliseInviteCode('7K3M9QXDZ0Z12')).toBeNull();
  });
});
