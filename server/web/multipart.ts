/**
 * Streaming multipart parsing for the forms that carry files (report, follow-up, employee tip).
 *
 * Text fields are collected in memory (bounded per field and in number); files are handed, one at
 * a time and as streams, to `onFile`, which seals them into chunk rows as they arrive — nothing is
 * buffered whole and nothing touches a temp file. The CSRF token must come first: a file part that
 * arrives before a valid `_csrf` aborts the request before a single byte of it is processed.
 */
import busboy from 'busboy';
import type { Request, Response } from 'express';
import type { Readable } from 'node:stream';
import { HttpError } from '../core/errors.js';
import type { FieldMap } from '../core/fields.js';
import { CsrfRejected } from './csrf.js';

export type IncomingFile = {
  /** Form field name of the file input. */
  field: string;
  /** The name the browser sent (sealed later, never logged). */
  name: string;
  declaredType: string;
  stream: Readable;
};

export type MultipartOptions = {
  /** Largest single text field in bytes; longer values are cut and listed in `truncated`. */
  maxFieldBytes: number;
  /** Bytes passed to onFile for one file before it is cut (onFile sees one byte over its own cap). */
  maxFileBytes: number;
  /** Called for each non-empty file, in order, with the text fields received so far. Must consume the stream. */
  onFile(file: IncomingFile, fieldsSoFar: FieldMap): Promise<void>;
};

export type MultipartResult = { fields: FieldMap; truncated: Set<string> };

const MAX_FIELDS = 300;

/**
 * Parses a multipart request. Rejects with CsrfRejected (403) when a file arrives before a valid
 * `_csrf` field, or when the body ends without one; with HttpError 400 on a malformed body.
 */
export function parseMultipart(req: Request, res: Response, opts: MultipartOptions): Promise<MultipartResult> {
  // Only the routes an app declares as taking files get here with a multipart body (web/csrf.ts).
  if (!req.takesFiles) return Promise.reject(new CsrfRejected());
  const validateCsrf = res.locals.validateCsrf;
  const fields: FieldMap = Object.create(null) as FieldMap;
  const truncated = new Set<string>();
  let csrfOk = false;
  let chain: Promise<void> = Promise.resolve();

  return new Promise<MultipartResult>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // Browsers send UTF-8 file names; busboy's default would decode them as Latin-1.
        defParamCharset: 'utf8',
        limits: { fieldSize: opts.maxFieldBytes, fields: MAX_FIELDS, fileSize: opts.maxFileBytes + 1, parts: MAX_FIELDS + 50, fieldNameSize: 100 },
      });
    } catch {
      reject(new HttpError(400, 'errors.badRequestMessage'));
      return;
    }
    const abort = (err: Error) => {
      req.unpipe(parser);
      // Read and discard the rest of the upload; the connection is closed after the answer.
      res.setHeader('Connection', 'close');
      req.resume();
      reject(err);
    };

    parser.on('field', (name, value, info) => {
      if (name === '_csrf' && !csrfOk) csrfOk = validateCsrf(value);
      if (info.valueTruncated) truncated.add(name);
      (fields[name] ??= []).push(value);
    });
    parser.on('file', (field, stream, info) => {
      if (!csrfOk) {
        stream.resume();
        abort(new CsrfRejected());
        return;
      }
      const snapshot = fields;
      chain = chain.then(async () => {
        // An empty file input still sends a part with no name and no bytes.
        if (!info.filename) {
          stream.resume();
          return;
        }
        await opts.onFile({ field, name: info.filename, declaredType: info.mimeType, stream }, snapshot);
      });
      chain.catch((err: Error) => abort(err));
    });
    parser.on('error', () => abort(new HttpError(400, 'errors.badRequestMessage')));
    parser.on('close', () => {
      chain.then(
        () => (csrfOk ? resolve({ fields, truncated }) : reject(new CsrfRejected())),
        (err: Error) => reject(err),
      );
    });
    req.pipe(parser);
  });
}
