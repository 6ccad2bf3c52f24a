/**
 * Files of one form submission: the ones staged by an earlier, rejected attempt (reopened with the
 * staging key the form carried back) plus the ones arriving now. Enforces the per-file, per-report
 * and count limits and remembers, per file name, why a file was refused, for the re-rendered form.
 */
import { newSymmetricKey, toBase64Url } from '../crypto/index.js';
import { deleteAttachment } from '../reports/repository.js';
import {
  ATTACHMENT_LIMITS,
  discardStagedFiles,
  openStagedFiles,
  stageUpload,
  type StagedFile,
  type UploadRejection,
} from '../reports/attachments.js';
import type { Readable } from 'node:stream';
import type { ImageJobs } from '../images/jobs.js';
import type { FieldMap } from '../fields.js';
import type { Executor } from '../db/executor.js';

export type UploadProblem = UploadRejection | 'too_many_files' | 'total_too_large' | 'upload_limit';
export type RefusedFile = { name: string; problem: UploadProblem };

/** Hidden fields that carry staged files between attempts (the key never reaches the database). */
export type StagingFields = { stagingKey: string; staged: string[]; remove: string[] };

export class UploadBatch {
  readonly files: StagedFile[];
  readonly refused: RefusedFile[] = [];
  /** Files staged by this request (not an earlier attempt's), removed if the request fails. */
  private readonly added: string[] = [];

  private constructor(
    private readonly db: Executor,
    private readonly images: ImageJobs,
    readonly stagingKey: Uint8Array,
    existing: StagedFile[],
    private readonly limits: { maxFiles: number; maxFileBytes: number; maxTotalBytes: number },
  ) {
    this.files = [...existing];
  }

  /**
   * Reopens the files an earlier attempt staged, dropping those the reporter ticked for removal.
   * An absent or malformed key starts a fresh batch (nothing staged can then be opened).
   */
  static async open(db: Executor, images: ImageJobs, fields: StagingFields, limits = ATTACHMENT_LIMITS): Promise<UploadBatch> {
    const stagingKey = parseStagingKey(fields.stagingKey) ?? newSymmetricKey();
    const remove = new Set(fields.remove);
    await discardStagedFiles(db, fields.staged.filter((id) => remove.has(id)), stagingKey);
    const kept = await openStagedFiles(db, [...new Set(fields.staged.filter((id) => !remove.has(id)))], stagingKey);
    return new UploadBatch(db, images, stagingKey, kept, limits);
  }

  get totalBytes(): number {
    return this.files.reduce((sum, f) => sum + f.meta.size, 0);
  }

  /** Stages one incoming file (always consuming its stream), or records why it was refused. */
  async accept(name: string, declaredType: string, stream: Readable): Promise<void> {
    if (this.files.length >= this.limits.maxFiles) {
      stream.resume();
      this.refused.push({ name, problem: 'too_many_files' });
      return;
    }
    const room = this.limits.maxTotalBytes - this.totalBytes;
    const maxBytes = Math.min(this.limits.maxFileBytes, room);
    const result = await stageUpload(this.db, stream, { name, declaredType, maxBytes, stagingKey: this.stagingKey, images: this.images });
    if (result.ok) {
      this.files.push(result.file);
      this.added.push(result.file.id);
    }
    else this.refused.push({ name, problem: result.reason === 'too_large' && maxBytes < this.limits.maxFileBytes ? 'total_too_large' : result.reason });
  }

  /**
   * The request that brought these files failed (its body was cut, malformed or abandoned): its
   * reporter never sees a form carrying their staging key, so they could never be attached.
   */
  async discardAdded(): Promise<void> {
    for (const id of this.added.splice(0)) await deleteAttachment(this.db, id);
  }

  /** Records a file refused before it was read (its stream must be drained by the caller). */
  refuse(name: string, problem: UploadProblem): void {
    this.refused.push({ name, problem });
  }

  /** What the re-rendered form needs: the key and the files to show as already attached. */
  stagingView(): { stagingKey: string; files: { id: string; name: string; size: number; type: string; metadataRemoved: boolean }[] } {
    return {
      stagingKey: toBase64Url(this.stagingKey),
      files: this.files.map((f) => ({ id: f.id, name: f.meta.name, size: f.meta.size, type: f.meta.type, metadataRemoved: f.meta.metadataRemoved })),
    };
  }
}

function parseStagingKey(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return null;
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

/** A submitted form that may carry files, as the web layer read it (multipart or urlencoded). */
export type FormWithFiles = {
  fields: FieldMap;
  truncated: ReadonlySet<string>;
  batch: UploadBatch | null;
  /**
   * Files could not be stored now (the database went away, or every photo-processing place was
   * taken): the text was read in full, the files of this attempt were not kept.
   */
  storageFailed: boolean;
  /** Files sent in the 'files' field that were read and thrown away unstored. */
  discardedFiles: number;
};
