/**
 * Deterministic variants of the sealing functions, for test vectors and
 * cross-implementation tests only. Not re-exported from index.ts: production
 * code must always take fresh random nonces.
 */
import { sodium } from './sodium.js';
import { assertSymmetricKey } from './bytes.js';

export { sealRecordWithNonce, recordAssociatedData } from './records.js';
export { wrapKeyWithNonce } from './wrap.js';

/** Secretstream tags by name, for building streams that encryptChunks never writes. */
export type StreamTagName = 'message' | 'push' | 'rekey' | 'final';

/**
 * A raw libsodium secretstream with caller-chosen tags and optional explicit
 * rekeys, returned as [header, ...messages]. Lets an independent
 * implementation be checked on the REKEY path, which encryptChunks does not
 * use (it would take 2^32 messages to trigger the automatic rekey).
 */
export function pushStreamForTest(
  key: Uint8Array,
  messages: ReadonlyArray<{ plaintext: Uint8Array; tag: StreamTagName; rekeyAfter?: boolean }>,
): Uint8Array[] {
  assertSymmetricKey(key, 'Stream key');
  const s = sodium();
  const tags: Record<StreamTagName, number> = {
    message: s.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
    push: s.crypto_secretstream_xchacha20poly1305_TAG_PUSH,
    rekey: s.crypto_secretstream_xchacha20poly1305_TAG_REKEY,
    final: s.crypto_secretstream_xchacha20poly1305_TAG_FINAL,
  };
  const { state, header } = s.crypto_secretstream_xchacha20poly1305_init_push(key);
  const out = [header];
  for (const { plaintext, tag, rekeyAfter } of messages) {
    out.push(s.crypto_secretstream_xchacha20poly1305_push(state, plaintext, null, tags[tag]));
    if (rekeyAfter) s.crypto_secretstream_xchacha20poly1305_rekey(state);
  }
  return out;
}
