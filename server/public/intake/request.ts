/**
 * Reads a form that may carry files (report, follow-up, employee tip) from either encoding:
 * multipart, streamed (files staged as they arrive), or urlencoded (text only).
 */
import type { Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../../core/context.js';
import { isMultipart } from '../../web/csrf.js';
import { isDatabaseUnavailable } from '../../core/errors.js';
import { ImagesBusy } from '../../core/images/jobs.js';
import { limitsOf, takeRateLimit, type RateLimitRule } from '../../core/rate-limit.js';
import { clientSource } from '../../web/client.js';
import { ATTACHMENT_LIMITS } from '../../core/reports/attachments.js';
import { fieldsFromBody, type FieldMap } from '../../core/fields.js';
import { parseMultipart } from '../../web/multipart.js';
import { FIELD_LIMITS } from '../../core/intake/schema.js';
import { openUploadBatch } from '../../core/intake/service.js';
import type { FormWithFiles, UploadBatch } from '../../core/intake/uploads.js';

/**
 * Files staged per address and hour, whichever form they come with. Staged files cost storage
 * until they expire, so without this one address could park gigabytes of ciphertext an hour.
 */
export const UPLOAD_LIMIT: RateLimitRule = { bucket: 'upload', limit: 40, windowSeconds: 3600 };

/** File parts read from one body: more than the form's limit, so extra files are refused by name. */
const MULTIPART_MAX_FILES = ATTACHMENT_LIMITS.maxFiles * 3;
/**
 * One body: every file the form allows at its largest, plus the text. Anything bigger is not a
 * browser filling in the form; it is refused before more of it is read.
 */
const MULTIPART_MAX_BODY_BYTES = ATTACHMENT_LIMITS.maxFiles * ATTACHMENT_LIMITS.maxFileBytes + 8 * 1024 * 1024;

/** A form that carried text only (urlencoded, or kept from a request whose files were not read). */
export function textOnlyForm(fields: FieldMap): FormWithFiles {
  return { fields, truncated: new Set(), batch: null, storageFailed: false, discardedFiles: 0 };
}

/** The route's own limit, decided once: allowed or not, or the database was away. */
export type LimitVerdict = { ok: true; value: boolean } | { ok: false };
export type FormWithLimit = FormWithFiles & { limit: LimitVerdict };

/**
 * `mayPost` is the route's rate limit (it counts a hit). It is asked only once the request is
 * known to be genuine: a multipart body's CSRF token arrives inside the body, so for those it runs
 * at the first file (the parser has verified the token by then) or after the whole body was read,
 * never before; a forged request therefore changes no counter. Over the limit, the text is read and
 * every file discarded unstored. The upload batch is opened at the first file, from the hidden
 * staging fields that precede it.
 */
export async function readFormWithFiles(ctx: AppContext, req: Request, res: Response, opts: { mayPost: () => Promise<boolean> }): Promise<FormWithLimit> {
  let verdict: Promise<LimitVerdict> | null = null;
  const decide = () => (verdict ??= unlessUnavailable(opts.mayPost()));
  if (!isMultipart(req)) return { ...textOnlyForm(fieldsFromBody(req.body)), limit: await decide() };
  let batch: UploadBatch | null = null;
  let storageFailed = false;
  let discardedFiles = 0;
  const source = clientSource(req);
  const parsing = parseMultipart(req, res, {
    maxFieldBytes: FIELD_LIMITS.fieldBytes,
    maxFileBytes: ATTACHMENT_LIMITS.maxFileBytes,
    maxFiles: MULTIPART_MAX_FILES,
    maxBodyBytes: MULTIPART_MAX_BODY_BYTES,
    idleTimeoutMs: ctx.config.uploadIdleTimeoutMs,
    onFile: async (file, fieldsSoFar) => {
      const limit = await decide();
      if (!limit.ok || !limit.value || storageFailed || file.field !== 'files') {
        if (file.field === 'files' && file.name) discardedFiles++;
        file.stream.resume();
        return;
      }
      try {
        batch ??= await openUploadBatch(ctx, fieldsSoFar);
        if (!(await takeRateLimit(limitsOf(ctx), UPLOAD_LIMIT, source.address)).allowed) {
          file.stream.resume();
          batch.refuse(file.name, 'upload_limit');
          return;
        }
        await batch.accept(file.name, file.declaredType, file.stream);
      } catch (err) {
        // Keep reading: the fields after this file still reach the re-rendered form (503, everything typed).
        if (!isDatabaseUnavailable(err) && !(err instanceof ImagesBusy)) throw err;
        storageFailed = true;
        discardedFiles++;
        file.stream.resume();
      }
    },
  });
  const { fields, truncated } = await parsing.catch(async (err: unknown) => {
    // The body was cut, malformed or abandoned: what it staged can never be attached.
    await batch?.discardAdded().catch(() => {});
    throw err;
  });
  return { fields, truncated, batch, storageFailed, discardedFiles, limit: await decide() };
}

/**
 * A form route's own database work failed because the database is away. Nothing was stored; the
 * caller re-renders the form from these fields (status 503, "try again") instead of the generic
 * error page, so no typed word is lost.
 */
export async function unlessUnavailable<T>(work: Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
  try {
    return { ok: true, value: await work };
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    return { ok: false };
  }
}

/**
 * Wraps a guard (session loading needs the database). When the database is away the guard's
 * error would end in the generic 503 page and drop the body; instead the form is read (files
 * discarded) and handed to `onUnavailable` to re-render with what was typed.
 */
export function keepFormWhenUnavailable(ctx: AppContext, guard: RequestHandler, onUnavailable: (res: Response, form: FormWithFiles) => void): RequestHandler {
  return async (req, res, next) => {
    let passed = false;
    try {
      await guard(req, res, (err?: unknown) => {
        passed = true;
        next(err);
      });
    } catch (err) {
      if (passed || !isDatabaseUnavailable(err)) throw err;
      onUnavailable(res, await readFormWithFiles(ctx, req, res, { mayPost: async () => false }));
    }
  };
}
