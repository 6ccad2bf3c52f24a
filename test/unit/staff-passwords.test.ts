import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkPassword, estimatedGuessesLog10, PASSWORD_MAX_LENGTH, PASSWORD_MIN_GUESSES_LOG10, PASSWORD_MIN_LENGTH } from '../../server/core/accounts/passwords.js';

describe('staff password policy', () => {
  it('judges strength by estimated guesses, not Latin length: an 11-character Chinese sentence passes', () => {
    // The hint suggests "一句好记的话", so an 11-character Chinese sentence must pass.
    expect(checkPassword('kettle-moss')).toBe('guessable'); // two dictionary words: ~10^8.9 guesses
    expect(checkPassword('kettle-moss9')).toBeNull(); // ~10^9.9
    expect(checkPassword('寄递安全线索保密平台好')).toBeNull(); // 11 characters, 33 UTF-8 bytes, ~10^11
    expect(checkPassword('我家门前有两棵树一棵枣')).toBeNull();
    expect(checkPassword('寄递安全线索保密平台很好')).toBeNull(); // 12
    expect(checkPassword('我爱北京天安门')).toBe('tooShort'); // 7 characters: below the floor
    expect(checkPassword('Sorter2026')).toBe('guessable');
    expect(checkPassword('zhangsan1234', 'zhangsan')).toBe('containsUsername');
    expect(estimatedGuessesLog10('寄递安全线索保密平台好')).toBeGreaterThanOrEqual(PASSWORD_MIN_GUESSES_LOG10);
    expect(checkPassword('x'.repeat(PASSWORD_MAX_LENGTH - 3) + 'abcd')).toBe('tooLong');
  });

  it('imposes no composition rules: lower-case words alone are fine when long and uncommon', () => {
    expect(checkPassword('violet harbour lantern pebble')).toBeNull();
    expect(checkPassword('sorting center at dawn')).toBeNull();
  });

  it('refuses the most common passwords, case-insensitively', () => {
    for (const common of ['123qweasdzxc', '1qaz2wsx3edc', 'QWERTY123456', 'qazwsxedcrfv', 'LeaveMeAlone']) {
      expect(checkPassword(common), common).toBe('common');
    }
  });

  it('refuses trivial patterns and a common password with padding', () => {
    for (const weak of ['aaaaaaaaaaaa', 'abcabcabcabc', '123456789012', 'password2024!', '!!!!password1234', 'parcelguard2026', '12339 12339 12339']) {
      expect(checkPassword(weak), weak).toBe('common');
    }
  });

  it('refuses a password containing the username', () => {
    expect(checkPassword('Reviewer-Wang-2026-xyz', 'wang')).toBe('containsUsername');
    expect(checkPassword('violet harbour lantern', 'li')).toBeNull(); // too short a name to matter
  });

  it('accepts any long random password (property)', () => {
    const alphabet = [...'bcdfghjkmnpqrstvwxz2345679#%;'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { minLength: PASSWORD_MIN_LENGTH + 4, maxLength: 64 }), (chars) => {
        const password = chars.join('');
        fc.pre(new Set(chars).size > 4); // a long run of one or two symbols is a pattern, rightly refused
        expect(checkPassword(password)).toBeNull();
      }),
    );
  });

  it('never accepts anything shorter than the minimum (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: PASSWORD_MIN_LENGTH - 1 }), (password) => {
        expect(checkPassword(password)).toBe('tooShort');
      }),
    );
  });
});
