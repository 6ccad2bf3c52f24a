import { sodium } from './sodium.js';
import { concatBytes } from './bytes.js';
import { hmacSha256, assertServerSecret } from './hashing.js';
import { utf8 } from './encoding.js';

/**
 * A short-lived value sealed for the browser to carry back once (the receipt between the POST that
 * filed a report and the GET that shows it): crypto_secretbox under a subkey of a server secret,
 * bound to its purpose, so the cookie is unreadable to anyone but the server that wrote it.
 */
export function sealForBrowser(serverSecret: Uint8Array, purpose: string, plaintext: Uint8Array): Uint8Array {
  const s = sodium();
  const key = subkey(serverSecret, purpose);
  const nonce = s.randombytes_buf(s.crypto_secretbox_NONCEBYTES);
  const sealed = concatBytes(nonce, s.crypto_secretbox_easy(plaintext, nonce, key));
  key.fill(0);
  return sealed;
}

/** Opens what sealForBrowser sealed; null when forged, truncated or sealed for another purpose. */
export function openFromBrowser(serverSecret: Uint8Array, purpose: string, sealed: Uint8Array): Uint8Array | null {
  const s = sodium();
  if (sealed.byteLength < s.crypto_secretbox_NONCEBYTES + s.crypto_secretbox_MACBYTES) return null;
  const key = subkey(serverSecret, purpose);
  try {
    return s.crypto_secretbox_open_easy(sealed.subarray(s.crypto_secretbox_NONCEBYTES), sealed.subarray(0, s.crypto_secretbox_NONCEBYTES), key);
  } catch {
    return null;
  } finally {
    key.fill(0);
  }
}

function subkey(serverSecret: Uint8Array, purpose: string): Uint8Array {
  assertServerSecret(serverSecret, 'sealForBrowser');
  return hmacSha256(serverSecret, utf8(`parcelguard browser-sealed v1: ${purpose}`));
}
