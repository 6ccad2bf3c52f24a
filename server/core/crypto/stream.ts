import { CryptoError } from './errors.js';
import { CRYPTO_PARAMS } from './params.js';
import { sodium, type Sodium } from './sodium.js';
import { assertSymmetricKey } from './bytes.js';

type StreamState = ReturnType<Sodium['crypto_secretstream_xchacha20poly1305_init_pull']>;
type PullResult = { message: Uint8Array; tag: number } | false;

const CHUNK_BYTES = CRYPTO_PARAMS.streamChunkBytes;
const HEADER_BYTES = CRYPTO_PARAMS.streamHeaderBytes;
const OVERHEAD_BYTES = CRYPTO_PARAMS.streamOverheadBytes;
/** sizeof(crypto_secretstream_xchacha20poly1305_state): key(32) ‖ nonce(12) ‖ pad(8). */
const STATE_BYTES = 52;

/** Size of the ciphertext message for a plaintext chunk of `plainLen` bytes (tag byte + MAC). */
export function ciphertextChunkSize(plainLen: number): number {
  return plainLen + OVERHEAD_BYTES;
}

interface EmscriptenHeap {
  _free?: (address: number) => void;
  HEAPU8?: Uint8Array;
}

/**
 * libsodium-wrappers mallocs the 52-byte stream state inside the WebAssembly
 * heap and never frees it. Each upload or download would leak it, and the
 * state holds the stream's current subkey. Wipe and free it when the stream
 * ends; skip quietly if a future wrapper version represents states otherwise.
 */
function releaseState(state: StreamState): void {
  const address: unknown = state;
  const heap = (sodium() as unknown as { libsodium?: EmscriptenHeap }).libsodium;
  if (typeof address !== 'number' || typeof heap?._free !== 'function') return;
  heap.HEAPU8?.fill(0, address, address + STATE_BYTES);
  heap._free(address);
}

function assertBytes(piece: unknown): asserts piece is Uint8Array {
  if (!(piece instanceof Uint8Array)) throw new TypeError('Stream source must yield Uint8Array chunks');
}

/**
 * Encrypt a file as it streams in, with crypto_secretstream_xchacha20poly1305
 * under the per-file key F.
 *
 * Yields the 24-byte header first, then one message per 64 KiB of plaintext
 * (the source is re-buffered, whatever its piece sizes), each 17 bytes longer
 * than its plaintext. The last message carries TAG_FINAL (an empty one for an
 * empty file), so a truncated stream is detected on decryption. Messages are
 * chained (each depends on the previous one's MAC), so reordering or dropping
 * messages fails too. Memory use is one chunk, whatever the file size.
 */
export async function* encryptChunks(fileKey: Uint8Array, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  assertSymmetricKey(fileKey, 'File key');
  const s = sodium();
  const { state, header } = s.crypto_secretstream_xchacha20poly1305_init_push(fileKey);
  const buffer = new Uint8Array(CHUNK_BYTES);
  let filled = 0;
  try {
    yield header;
    for await (const piece of source) {
      assertBytes(piece);
      let offset = 0;
      while (offset < piece.byteLength) {
        if (filled === CHUNK_BYTES) {
          // More plaintext follows, so this full chunk is not the final message.
          yield s.crypto_secretstream_xchacha20poly1305_push(state, buffer, null, s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
          filled = 0;
        }
        const n = Math.min(CHUNK_BYTES - filled, piece.byteLength - offset);
        buffer.set(piece.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
      }
    }
    yield s.crypto_secretstream_xchacha20poly1305_push(
      state,
      buffer.subarray(0, filled),
      null,
      s.crypto_secretstream_xchacha20poly1305_TAG_FINAL,
    );
  } finally {
    buffer.fill(0);
    releaseState(state);
  }
}

/**
 * Decrypt what encryptChunks produced, item by item (header first).
 *
 * Throws CryptoError on a wrong key, a modified, reordered, dropped or
 * oversized message, a stream that ends without TAG_FINAL, or anything after
 * TAG_FINAL. The final message's plaintext is only released once the source
 * has ended cleanly. Earlier chunks are yielded as they verify, so a consumer
 * that streams them on (e.g. an HTTP download) must abort its output on error
 * rather than present a truncated file as complete.
 */
export async function* decryptChunks(fileKey: Uint8Array, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (!(fileKey instanceof Uint8Array) || fileKey.byteLength !== CRYPTO_PARAMS.symmetricKeyBytes) throw new CryptoError();
  let state: StreamState | undefined;
  let finalMessage: Uint8Array | undefined;
  try {
    for await (const item of source) {
      assertBytes(item);
      if (finalMessage !== undefined) throw new CryptoError();
      if (state === undefined) {
        state = initPull(item, fileKey);
        continue;
      }
      const { message, isFinal } = pull(state, item);
      if (isFinal) finalMessage = message;
      else yield message;
    }
    if (finalMessage === undefined) throw new CryptoError();
    yield finalMessage;
  } finally {
    if (state !== undefined) releaseState(state);
  }
}

function initPull(header: Uint8Array, fileKey: Uint8Array): StreamState {
  if (header.byteLength !== HEADER_BYTES) throw new CryptoError();
  try {
    return sodium().crypto_secretstream_xchacha20poly1305_init_pull(header, fileKey);
  } catch {
    throw new CryptoError();
  }
}

function pull(state: StreamState, item: Uint8Array): { message: Uint8Array; isFinal: boolean } {
  const s = sodium();
  // Reject oversized items before they are copied into the WebAssembly heap.
  if (item.byteLength < OVERHEAD_BYTES || item.byteLength > CHUNK_BYTES + OVERHEAD_BYTES) throw new CryptoError();
  let result: PullResult;
  try {
    result = s.crypto_secretstream_xchacha20poly1305_pull(state, item, null);
  } catch {
    throw new CryptoError();
  }
  if (result === false) throw new CryptoError();
  // encryptChunks only writes MESSAGE and FINAL; anything else is not ours.
  if (result.tag === s.crypto_secretstream_xchacha20poly1305_TAG_FINAL) return { message: result.message, isFinal: true };
  if (result.tag === s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) return { message: result.message, isFinal: false };
  throw new CryptoError();
}
