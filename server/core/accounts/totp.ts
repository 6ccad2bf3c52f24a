import { Secret, TOTP } from 'otpauth';

/**
 * Time-based one-time codes (RFC 6238: SHA-1, 6 digits, 30-second steps — what every
 * authenticator app accepts) through the otpauth library.
 */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** One step either side absorbs phone clock drift and a code typed just as it rolled over. */
const WINDOW = 1;
const SECRET_BYTES = 20;
const ISSUER = 'ParcelGuard';

export function newTotpSecret(): Uint8Array {
  return new Uint8Array(new Secret({ size: SECRET_BYTES }).bytes);
}

function totpFor(secret: Uint8Array, username: string): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label: username,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
    secret: new Secret({ buffer: Uint8Array.from(secret).buffer }),
  });
}

/** The secret as base32 text for manual entry, in groups of four for legibility. */
export function totpSecretText(secret: Uint8Array): string {
  const base32 = new Secret({ buffer: Uint8Array.from(secret).buffer }).base32;
  return base32.match(/.{1,4}/g)!.join(' ');
}

/** The otpauth:// URI an authenticator app scans. */
export function totpUri(secret: Uint8Array, username: string): string {
  return totpFor(secret, username).toString();
}

/** Only six ASCII digits are a code; full-width digits and spaces typed on a phone are forgiven. */
export function normaliseTotpCode(code: string): string | null {
  const digits = code.normalize('NFKC').replace(/\s+/g, '');
  return /^\d{6}$/.test(digits) ? digits : null;
}

/**
 * The time step a valid code belongs to, or null. Callers must store the step and refuse any code
 * whose step is not strictly later than the last one used, so a code seen over a shoulder or in a
 * proxy log cannot be replayed within its lifetime.
 */
export function verifyTotp(secret: Uint8Array, code: string, now: Date = new Date()): number | null {
  const digits = normaliseTotpCode(code);
  if (!digits) return null;
  const delta = totpFor(secret, 'x').validate({ token: digits, timestamp: now.getTime(), window: WINDOW });
  if (delta === null) return null;
  return Math.floor(now.getTime() / 1000 / PERIOD_SECONDS) + delta;
}

/** The code for a given instant (tests and the enrolment helper). */
export function totpCodeAt(secret: Uint8Array, when: Date): string {
  return totpFor(secret, 'x').generate({ timestamp: when.getTime() });
}

export function totpStep(when: Date): number {
  return Math.floor(when.getTime() / 1000 / PERIOD_SECONDS);
}

/**
 * The provisioning QR code as inline SVG markup. The CSP forbids inline styles, so any style
 * attribute or element the library might emit is removed; the SVG carries only geometry and
 * presentation attributes. It is labelled for screen readers, which are pointed to the text secret.
 */
export async function totpQrSvg(uri: string, label: string): Promise<string> {
  // Loaded on first use: only enrolment pages draw a QR code.
  const { default: QRCode } = await import('qrcode');
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  const escaped = label.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return svg
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/\sstyle="[^"]*"/gi, '')
    .replace(/<svg\s/, `<svg class="totp-qr" role="img" aria-label="${escaped}" focusable="false" `)
    .trim();
}
