/**
 * Attachments: streamed in, cleaned, encrypted chunk by chunk, and stored as rows.
 *
 * Every upload first becomes a *staged* attachment (report_id null, expiring): its chunks are
 * secretstream ciphertext under a fresh file key F, and its metadata (F, name, type, size, SHA-256)
 * is sealed under a staging key S that the server does not keep — it lives only in the reporter's
 * form. When the report (or follow-up) is accepted, the metadata is re-sealed under the report key K
 * and the row is attached. A rejected form therefore keeps its files without the database alone
 * being able to say what they are called.
 *
 * Nothing plaintext touches a disk: no temp files; non-image files flow straight from the request
 * into encryptChunks, so memory stays at one 64 KiB chunk whatever the file size.
 */
import { randomUUID } from 'node:crypto';
import type { ImageJobs, ImageTicket } from '../images/jobs.js';
import { checked, classify, cleanedImage, collect, drain, readPrefix, Rejected, SNIFF_BYTES, type Handling, type UploadRejection } from './upload-checks.js';
import {
  createSha256,
  decryptChunks,
  encryptChunks,
  fromBase64,
  newSymmetricKey,
  openJson,
  sealJson,
  toBase64,
  toHex,
  CryptoError,
} from '../crypto/index.js';
import type { AttachmentMeta } from './model.js';
import { attachToReport, chunkPage, completeAttachment, deleteAttachment, findStagedAttachments, insertChunk, insertStagedAttachment, listReportAttachmentRows } from './attachment-repository.js';
import type { Executor } from '../db/executor.js';

/** Upload limits, in one place (the form states them; the parser enforces them). */
export const ATTACHMENT_LIMITS = Object.freeze({
  maxFileBytes: 25 * 1024 * 1024,
  maxTotalBytes: 100 * 1024 * 1024,
  maxFiles: 10,
  /** How long a staged file survives without its report being sent. */
  stagingTtlMs: 2 * 3600 * 1000,
  maxNameChars: 200,
});

export { HEIC_SUPPORTED, type UploadRejection } from './upload-checks.js';
export type StagedFile = { readonly id: string; readonly meta: AttachmentMeta };
export type StageResult = { ok: true; file: StagedFile } | { ok: false; reason: UploadRejection };

/**
 * Streams one uploaded file into a staged attachment. The type is detected from the bytes, never
 * the name or the browser's claim (plain text excepted: it has no signature, so it is accepted when
 * declared text/plain and the bytes are valid UTF-8). Images are re-encoded without metadata, one
 * of the bounded `images` jobs (ImagesBusy when none is free: `source` is then left unread).
 * Otherwise always consumes `source` to its end, so a multipart parser can move on to the next part.
 */
export async function stageUpload(
  db: Executor,
  source: AsyncIterable<Uint8Array>,
  opts: { name: string; declaredType: string; maxBytes: number; stagingKey: Uint8Array; images: ImageJobs; uploadedBy?: 'reporter' | 'staff'; now?: Date },
): Promise<StageResult> {
  const input = source[Symbol.asyncIterator]();
  let ticket: ImageTicket | null = null;
  try {
    const prefix = await readPrefix(input, SNIFF_BYTES);
    if (prefix.byteLength === 0) throw new Rejected('empty');
    const handling = await classify(prefix, opts.declaredType);
    // A place in the image queue before the photo is buffered: waiting photos hold memory too.
    if (handling.kind === 'image') ticket = opts.images.admit();
    const id = randomUUID();
    const expires = new Date((opts.now ?? new Date()).getTime() + ATTACHMENT_LIMITS.stagingTtlMs);
    await insertStagedAttachment(db, id, opts.uploadedBy ?? 'reporter', expires);
    try {
      const fileKey = newSymmetricKey();
      const body =
        handling.kind === 'image'
          ? cleanedImage(ticket!, await collect(prefix, input, opts.maxBytes), handling.output)
          : checked(prefix, input, opts.maxBytes, handling.type === 'text/plain');
      const written = await writeChunks(db, id, fileKey, body);
      const meta: AttachmentMeta = {
        fileKey: toBase64(fileKey),
        name: cleanFileName(opts.name, handling),
        type: handling.type,
        size: written.size,
        sha256: written.sha256,
        metadataRemoved: handling.kind === 'image',
      };
      await completeAttachment(db, id, sealJson(opts.stagingKey, 'staging', id, meta), written.chunks);
      return { ok: true, file: { id, meta } };
    } catch (err) {
      await deleteAttachment(db, id);
      throw err;
    }
  } catch (err) {
    if (!(err instanceof Rejected)) throw err;
    await drain(input);
    return { ok: false, reason: err.reason };
  } finally {
    ticket?.release();
  }
}

/** The staged files among `ids` whose metadata opens with this staging key; others are ignored. */
export async function openStagedFiles(db: Executor, ids: readonly string[], stagingKey: Uint8Array): Promise<StagedFile[]> {
  const rows = await findStagedAttachments(db, ids.filter(isUuid));
  const files: StagedFile[] = [];
  for (const row of rows) {
    try {
      files.push({ id: row.id, meta: openJson<AttachmentMeta>(stagingKey, 'staging', row.id, row.metaSealed) });
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
    }
  }
  return files;
}

/** Removes staged files the holder of the staging key asked to drop (the key proves they are theirs). */
export async function discardStagedFiles(db: Executor, ids: readonly string[], stagingKey: Uint8Array): Promise<void> {
  for (const file of await openStagedFiles(db, ids, stagingKey)) await deleteAttachment(db, file.id);
}

/**
 * Attaches staged files to a report, re-sealing each one's metadata under K with contextId
 * `${reportId}/${attachmentId}`. Returns how many were attached (a file attached concurrently by
 * another request is skipped, never attached twice).
 */
export async function attachStagedFiles(
  trx: Executor,
  reportId: string,
  reportKey: Uint8Array,
  files: readonly StagedFile[],
  messageId: string | null = null,
): Promise<number> {
  let attached = 0;
  for (const file of files) {
    const metaSealed = sealJson(reportKey, 'file-meta', fileMetaContext(reportId, file.id), file.meta);
    if (await attachToReport(trx, file.id, { reportId, metaSealed, messageId })) attached++;
  }
  return attached;
}

export type ReportAttachment = StagedFile & { messageId: string | null; uploadedBy: 'reporter' | 'staff'; createdAt: Date };

/** Every complete file of a report, with its metadata opened under K. */
export async function listReportAttachments(db: Executor, reportId: string, reportKey: Uint8Array): Promise<ReportAttachment[]> {
  const rows = await listReportAttachmentRows(db, reportId);
  return rows.map((row) => ({
    id: row.id,
    meta: openAttachmentMeta(reportKey, reportId, row.id, row.meta_sealed),
    messageId: row.message_id,
    uploadedBy: row.uploaded_by,
    createdAt: row.created_at,
  }));
}

export function openAttachmentMeta(reportKey: Uint8Array, reportId: string, attachmentId: string, sealed: Uint8Array): AttachmentMeta {
  return openJson<AttachmentMeta>(reportKey, 'file-meta', fileMetaContext(reportId, attachmentId), sealed);
}

export function fileMetaContext(reportId: string, attachmentId: string): string {
  return `${reportId}/${attachmentId}`;
}

const PAGE_CHUNKS = 16; // ~1 MiB of ciphertext per query

/**
 * The plaintext of an attachment, chunk by chunk (read from the database a page at a time).
 * Throws CryptoError if any chunk was modified, reordered or dropped, or the stream was cut short;
 * a download must then abort its response rather than present a truncated file as complete.
 */
export async function* streamAttachment(db: Executor, attachmentId: string, fileKey: Uint8Array | string): AsyncGenerator<Uint8Array> {
  const key = typeof fileKey === 'string' ? fromBase64(fileKey) : fileKey;
  async function* ciphertext(): AsyncGenerator<Uint8Array> {
    let next = 0;
    for (;;) {
      const page = await chunkPage(db, attachmentId, next, PAGE_CHUNKS);
      for (const chunk of page) {
        if (chunk.seq !== next) throw new CryptoError(); // a missing row is a truncated stream
        next++;
        yield chunk.data;
      }
      if (page.length < PAGE_CHUNKS) return;
    }
  }
  yield* decryptChunks(key, ciphertext());
}

// ---------------------------------------------------------------- internals

async function writeChunks(db: Executor, id: string, fileKey: Uint8Array, body: AsyncIterable<Uint8Array>) {
  const hash = createSha256();
  let size = 0;
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const piece of body) {
      hash.update(piece);
      size += piece.byteLength;
      yield piece;
    }
  }
  let seq = 0;
  for await (const chunk of encryptChunks(fileKey, hashed())) await insertChunk(db, id, seq++, chunk);
  return { chunks: seq, size, sha256: toHex(hash.digest()) };
}

/** Keeps the name a person gave the file (it is sealed), minus any path and control characters. */
export function cleanFileName(name: string, handling?: Handling): string {
  let clean = name.normalize('NFC').split(/[/\\]/).pop()!.replace(/[\p{Cc}\p{Cf}]/gu, '').trim();
  if (clean.length > ATTACHMENT_LIMITS.maxNameChars) clean = clean.slice(-ATTACHMENT_LIMITS.maxNameChars);
  if (!clean) clean = 'file';
  // A HEIC photo comes out as JPEG: say so in the name reviewers see.
  if (handling?.kind === 'image' && handling.output === 'jpeg' && /\.hei[cf]$/i.test(clean)) clean = clean.replace(/\.hei[cf]$/i, '.jpg');
  return clean;
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
