/**
 * Reads a form that may carry files (report, follow-up, employee tip) from either encoding:
 * multipart, streamed (files staged as they arrive), or urlencoded (text only).
 */
import type { Request, Response } from 'express';
import type { AppContext } from '../context.js';
import { isMultipart } from '../http/csrf.js';
import { clientKey, hitRateLimit, type RateLimitRule } from '../http/rate-limit.js';
import { ATTACHMENT_LIMITS } from '../reports/attachments.js';
import { fieldsFromBody, parseMultipart, type FieldMap } from './multipart.js';
import { FIELD_LIMITS } from './schema.js';
import { openUploadBatch } from './service.js';
import type { UploadBatch } from './uploads.js';

/**
 * Files staged per address and hour, whichever form they come with. Staged files cost storage
 * until they expire, so without this one address could park gigabytes of ciphertext an hour.
 */
export const UPLOAD_LIMIT: RateLimitRule = { bucket: 'upload', limit: 40, windowSeconds: 3600 };

export type FormWithFiles = { fields: FieldMap; truncated: ReadonlySet<string>; batch: UploadBatch | null };

/**
 * `acceptFiles: false` (e.g. over a rate limit) reads the text but discards every file unstored.
 * The upload batch is opened at the first file, from the hidden staging fields that precede it.
 */
export async function readFormWithFiles(ctx: AppContext, req: Request, res: Response, opts: { acceptFiles: boolean }): Promise<FormWithFiles> {
  if (!isMultipart(req)) return { fields: fieldsFromBody(req.body), truncated: new Set(), batch: null };
  let batch: UploadBatch | null = null;
  const key = clientKey(ctx.config, req);
  const { fields, truncated } = await parseMultipart(req, res, {
    maxFieldBytes: FIELD_LIMITS.fieldBytes,
    maxFileBytes: ATTACHMENT_LIMITS.maxFileBytes,
    onFile: async (file, fieldsSoFar) => {
      if (!opts.acceptFiles || file.field !== 'files') {
        file.stream.resume();
        return;
      }
      batch ??= await openUploadBatch(ctx, fieldsSoFar);
      if (!(await hitRateLimit(ctx.database.db, UPLOAD_LIMIT, key)).allowed) {
        file.stream.resume();
        batch.refuse(file.name, 'upload_limit');
        return;
      }
      await batch.accept(file.name, file.declaredType, file.stream);
    },
  });
  return { fields, truncated, batch };
}
