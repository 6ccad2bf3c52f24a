import { CRYPTO_PARAMS } from './params.js';

/** Concatenate byte strings into one new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Throw a programming error unless `key` is a 32-byte symmetric key. */
export function assertSymmetricKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.byteLength !== CRYPTO_PARAMS.symmetricKeyBytes) {
    throw new RangeError(`${what} must be ${CRYPTO_PARAMS.symmetricKeyBytes} bytes`);
  }
}
