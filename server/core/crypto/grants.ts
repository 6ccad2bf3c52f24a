import { CryptoError } from './errors.js';
import { CRYPTO_PARAMS } from './params.js';
import { sodium } from './sodium.js';
import type { BoxKeyPair } from './random.js';

function assertPublicKey(publicKey: Uint8Array): void {
  if (!(publicKey instanceof Uint8Array) || publicKey.byteLength !== CRYPTO_PARAMS.boxPublicKeyBytes) {
    throw new RangeError(`Public key must be ${CRYPTO_PARAMS.boxPublicKeyBytes} bytes`);
  }
}

/**
 * Grant a key (K, KN, KI, F) to the holder of `recipientPublicKey` with
 * crypto_box_seal: an ephemeral X25519 key pair per grant, so the grant is
 * anonymous and nothing the sender keeps can open it afterwards.
 * Output is exactly libsodium's sealed box: ephemeralPk(32) ‖ box(len + 16),
 * i.e. 80 bytes for a 32-byte key; no version byte, so any libsodium opens it.
 */
export function sealKeyTo(key: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  assertPublicKey(recipientPublicKey);
  return sodium().crypto_box_seal(key, recipientPublicKey);
}

/**
 * Open a grant with the recipient's key pair (crypto_box_seal_open).
 * Throws CryptoError if it was sealed to someone else or was modified.
 */
export function openSealedKey(sealed: Uint8Array, recipient: BoxKeyPair): Uint8Array {
  const s = sodium();
  if (
    sealed.byteLength < CRYPTO_PARAMS.sealedBoxOverheadBytes ||
    recipient.publicKey.byteLength !== CRYPTO_PARAMS.boxPublicKeyBytes ||
    recipient.privateKey.byteLength !== CRYPTO_PARAMS.boxPrivateKeyBytes
  ) {
    throw new CryptoError();
  }
  try {
    return s.crypto_box_seal_open(sealed, recipient.publicKey, recipient.privateKey);
  } catch {
    throw new CryptoError();
  }
}

/**
 * Pass a key I hold on to someone else: open my grant, seal the key to
 * `otherPublicKey`. Used when a case is assigned or shared, and when a
 * custodian approves identity access (re-sealing KI to the reviewer) — the
 * server cannot do this on its own because it never holds my private key
 * outside an unlocked session. The plaintext key is wiped afterwards.
 */
export function resealKey(sealed: Uint8Array, me: BoxKeyPair, otherPublicKey: Uint8Array): Uint8Array {
  assertPublicKey(otherPublicKey);
  const key = openSealedKey(sealed, me);
  try {
    return sealKeyTo(key, otherPublicKey);
  } finally {
    sodium().memzero(key);
  }
}
