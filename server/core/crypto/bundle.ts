/**
 * Sealed export bundles (docs/crypto.md §4.7): a referral handed to a receiving body that has a
 * public key on file. Only the holder of that body's private key can open it; the server can make
 * one but not read it back.
 *
 *   "PGBUNDLE1\n" (10 bytes)
 *   sealed bundle key: crypto_box_seal(B, recipient public key)          (80 bytes)
 *   frames: u32 big-endian length ‖ secretstream message under B        (header first, then chunks)
 *
 * B is a fresh key per bundle; the secretstream is `encryptChunks`, so a bundle is authenticated
 * chunk by chunk, in order, and a truncated bundle fails to open. Memory is one chunk.
 */
import { CryptoError } from './errors.js';
import { CRYPTO_PARAMS } from './params.js';
import { newSymmetricKey, type BoxKeyPair } from './random.js';
import { openSealedKey, sealKeyTo } from './grants.js';
import { decryptChunks, encryptChunks } from './stream.js';
import { ByteReader } from '../streams/byte-reader.js';

export const BUNDLE_MAGIC = new TextEncoder().encode('PGBUNDLE1\n');
const SEALED_KEY_BYTES = CRYPTO_PARAMS.symmetricKeyBytes + CRYPTO_PARAMS.sealedBoxOverheadBytes;
const MAX_FRAME_BYTES = CRYPTO_PARAMS.streamChunkBytes + CRYPTO_PARAMS.streamOverheadBytes;

/** Encrypts `plaintext` (any piece sizes) into a bundle only `recipientPublicKey`'s owner can open. */
export async function* sealBundle(recipientPublicKey: Uint8Array, plaintext: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const key = newSymmetricKey();
  try {
    yield BUNDLE_MAGIC;
    yield sealKeyTo(key, recipientPublicKey);
    for await (const message of encryptChunks(key, plaintext)) {
      const frame = new Uint8Array(4 + message.byteLength);
      new DataView(frame.buffer).setUint32(0, message.byteLength);
      frame.set(message, 4);
      yield frame;
    }
  } finally {
    key.fill(0);
  }
}

/** The plaintext of a bundle, piece by piece. Throws CryptoError for a wrong key or any damage. */
export async function* openBundle(recipient: BoxKeyPair, bundle: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = new ByteReader(bundle, () => new CryptoError());
  const magic = await reader.read(BUNDLE_MAGIC.byteLength);
  if (!magic || !magic.every((b, i) => b === BUNDLE_MAGIC[i])) throw new CryptoError();
  const sealed = await reader.read(SEALED_KEY_BYTES);
  if (!sealed) throw new CryptoError();
  const key = openSealedKey(sealed, recipient);
  async function* frames(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const length = await reader.read(4);
      if (!length) return;
      const size = new DataView(length.buffer, length.byteOffset, 4).getUint32(0);
      if (size > MAX_FRAME_BYTES) throw new CryptoError();
      const message = await reader.read(size);
      if (!message) throw new CryptoError();
      yield message;
    }
  }
  try {
    yield* decryptChunks(key, frames());
  } finally {
    key.fill(0);
  }
}
