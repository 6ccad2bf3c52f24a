import type { AppContext } from '../context.js';
import { appendAudit } from '../audit/repository.js';
import { NotFoundError } from '../errors.js';
import { openAttachmentMeta, streamAttachment } from '../reports/attachments.js';
import type { AttachmentMeta } from '../reports/model.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import { openCase } from './access.js';
import { findReportAttachment } from './repository.js';
import { INLINE_IMAGE_TYPES } from './service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type CaseFile = {
  readonly meta: AttachmentMeta;
  /** True for the image types a browser may show in the page; everything else is a download. */
  readonly inlineAllowed: boolean;
  /** Decrypted chunks, read a page at a time; throws CryptoError if the stored file was tampered with. */
  readonly chunks: AsyncGenerator<Uint8Array>;
};

/**
 * One file of a case, for a reviewer holding K: the same 404 as the case page otherwise, so an
 * attachment URL reveals nothing either. The metadata (and the file key F inside it) is opened
 * with K; the view is audited before a byte is sent.
 */
export async function openCaseFile(ctx: AppContext, staff: StaffPrincipal, caseNumber: string, attachmentId: string): Promise<CaseFile> {
  if (!UUID.test(attachmentId)) throw new NotFoundError();
  const meta = await ctx.database.db.transaction().execute(async (trx) => {
    const c = await openCase(trx, caseNumber, staff);
    try {
      const row = await findReportAttachment(trx, c.row.id, attachmentId);
      if (!row) throw new NotFoundError();
      const opened = openAttachmentMeta(c.reportKey, c.row.id, row.id, row.metaSealed);
      await appendAudit(trx, { actorKind: 'staff', actorId: staff.id, event: 'case.attachment_viewed', caseId: c.row.id, subjectId: row.id });
      return opened;
    } finally {
      c.reportKey.fill(0);
    }
  });
  return { meta, inlineAllowed: INLINE_IMAGE_TYPES.includes(meta.type), chunks: streamAttachment(ctx.database.db, attachmentId, meta.fileKey) };
}

/** `Content-Disposition` with an ASCII fallback and the real (sealed-at-rest) name as RFC 5987 `filename*`. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 80) || 'file';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
