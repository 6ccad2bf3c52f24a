/**
 * Raised whenever decryption, unwrapping or authentication fails.
 *
 * The message is deliberately generic: telling a caller (or a log reader)
 * whether the version byte, the nonce, the key or the tag was wrong would
 * hand an attacker an oracle, and none of those cases is recoverable anyway.
 */
export class CryptoError extends Error {
  constructor() {
    super('Decryption or authentication failed');
    this.name = 'CryptoError';
  }
}
