import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Secret, TOTP } from 'otpauth';
import { newTotpSecret, normaliseTotpCode, totpCodeAt, totpQrSvg, totpSecretText, totpStep, totpUri, verifyTotp } from '../../server/core/accounts/totp.js';

const at = (iso: string) => new Date(iso);

describe('TOTP', () => {
  it('matches RFC 6238 (SHA-1 test vector, truncated to 6 digits)', () => {
    // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits).
    const secret = new TextEncoder().encode('12345678901234567890');
    expect(totpCodeAt(secret, new Date(59_000))).toBe('287082');
    expect(verifyTotp(secret, '287082', new Date(59_000))).toBe(1);
  });

  it('accepts the current step and one either side, and returns the step the code belongs to', () => {
    const secret = newTotpSecret();
    const now = at('2026-11-23T10:00:15Z');
    const step = totpStep(now);
    expect(verifyTotp(secret, totpCodeAt(secret, now), now)).toBe(step);
    expect(verifyTotp(secret, totpCodeAt(secret, new Date(now.getTime() - 30_000)), now)).toBe(step - 1);
    expect(verifyTotp(secret, totpCodeAt(secret, new Date(now.getTime() + 30_000)), now)).toBe(step + 1);
    expect(verifyTotp(secret, totpCodeAt(secret, new Date(now.getTime() - 90_000)), now)).toBeNull();
  });

  it('refuses a code for another secret and malformed codes', () => {
    const now = at('2026-11-23T10:00:15Z');
    const a = newTotpSecret();
    const b = newTotpSecret();
    const code = totpCodeAt(a, now);
    expect(verifyTotp(b, code, now) === null || totpCodeAt(b, now) === code).toBe(true);
    for (const bad of ['', '12345', '1234567', 'abcdef', '12 34 5x']) expect(verifyTotp(a, bad, now)).toBeNull();
  });

  it('forgives spaces and full-width digits typed on a phone', () => {
    expect(normaliseTotpCode(' 123 456 ')).toBe('123456');
    expect(normaliseTotpCode('１２３４５６')).toBe('123456');
    expect(normaliseTotpCode('123-456')).toBeNull();
  });

  it('round-trips with an authenticator app for any secret and time (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.integer({ min: 0, max: 4_000_000_000_000 }), (secret, ms) => {
        const app = new TOTP({ secret: new Secret({ buffer: Uint8Array.from(secret).buffer }) });
        const now = new Date(ms);
        expect(verifyTotp(secret, app.generate({ timestamp: ms }), now)).toBe(totpStep(now));
      }),
      { numRuns: 200 },
    );
  });

  it('shows the secret as base32 for manual entry and builds a standard otpauth URI', () => {
    const secret = newTotpSecret();
    expect(secret).toHaveLength(20);
    const text = totpSecretText(secret);
    expect(text).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
    expect(Buffer.from(Secret.fromBase32(text.replace(/ /g, '')).bytes)).toEqual(Buffer.from(secret));
    expect(totpUri(secret, 'wang.li')).toMatch(/^otpauth:\/\/totp\/ParcelGuard:wang\.li\?issuer=ParcelGuard&secret=[A-Z2-7]+&algorithm=SHA1&digits=6&period=30$/);
  });

  it('renders the QR code as inline SVG without styles (CSP) and labelled for screen readers', async () => {
    const svg = await totpQrSvg(totpUri(newTotpSecret(), 'wang.li'), 'QR "code" <for> you & me');
    expect(svg).toMatch(/^<svg class="totp-qr" role="img" aria-label="QR &quot;code&quot; &lt;for&gt; you &amp; me"/);
    expect(svg).not.toMatch(/style/i);
    expect(svg).not.toMatch(/<script/i);
    expect(svg).toContain('</svg>');
  });
});
