/**
 * Streaming multipart parsing for the forms that carry files (report, follow-up, employee tip).
 *
 * Text fields are collected in memory (bounded per field and in number); files are handed, one at
 * a time and as streams, to `onFile`, which seals them into chunk rows as they arrive — nothing is
 * buffered whole and nothing touches a temp file. The CSRF token must come first: a file part that
 * arrives before a valid `_csrf` aborts the request before a single byte of it is processed.
 *
 * A hostile body must never take the process down or leave work behind: every busboy stream gets
 * its 'error' listener the moment it exists (before any await of the caller's), a client that
 * vanishes or stalls mid-body stops the parser, and the promise settles only once every `onFile`
 * has returned, so the caller can remove what the failed request staged.
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
  /** Most file parts read; later ones are skipped unread (a form sends at most its own file limit). */
  maxFiles: number;
  /** The whole body; a larger one (declared or sent) is refused with 413 and the connection closed. */
  maxBodyBytes: number;
  /** A body that sends nothing for this long is cut off (the connection is closed). */
  idleTimeoutMs: number;
  /** Called for each non-empty file, in order, with the text fields received so far. Must consume the stream. */
  onFile(file: IncomingFile, fieldsSoFar: FieldMap): Promise<void>;
};

export type MultipartResult = { fields: FieldMap; truncated: Set<string> };

const MAX_FIELDS = 300;

export class MalformedBody extends HttpError {
  constructor() {
    super(400, 'errors.badRequestMessage');
  }
}

export class BodyTooLarge extends HttpError {
  constructor() {
    super(413, 'errors.tooLargeMessage', 'errors.tooLargeTitle');
  }
}

/**
 * Parses a multipart request. Rejects with CsrfRejected (403) when a file arrives before a valid
 * `_csrf` field, or when the body ends without one; with MalformedBody (400) on a truncated,
 * aborted, stalled or malformed body; with BodyTooLarge (413) past `maxBodyBytes`.
 */
export function parseMultipart(req: Request, res: Response, opts: MultipartOptions): Promise<MultipartResult> {
  // Only the routes an app declares as taking files get here with a multipart body (web/csrf.ts).
  if (!req.takesFiles) return Promise.reject(new CsrfRejected());
  if (Number(req.headers['content-length'] ?? 0) > opts.maxBodyBytes) return Promise.reject(closing(res, new BodyTooLarge()));
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // Browsers send UTF-8 file names; busboy's default would decode them as Latin-1.
      defParamCharset: 'utf8',
      limits: {
        fieldSize: opts.maxFieldBytes,
        fields: MAX_FIELDS,
        fileSize: opts.maxFileBytes + 1,
        files: opts.maxFiles,
        parts: MAX_FIELDS + opts.maxFiles,
        // busboy itself refuses a part whose header block exceeds 16 KiB (400 via 'error').
        fieldNameSize: 100,
      },
    });
  } catch {
    return Promise.reject(closing(res, new MalformedBody()));
  }
  return new Promise<MultipartResult>((resolve, reject) => readParts(req, res, parser, opts, resolve, reject));
}

function readParts(
  req: Request,
  res: Response,
  parser: busboy.Busboy,
  opts: MultipartOptions,
  resolve: (result: MultipartResult) => void,
  reject: (err: Error) => void,
): void {
  const validateCsrf = res.locals.validateCsrf;
  const fields: FieldMap = Object.create(null) as FieldMap;
  const truncated = new Set<string>();
  let csrfOk = false;
  let chain: Promise<void> = Promise.resolve();
  let failed = false;

  const stopInput = watchInput(req, opts, (err) => fail(err));
  const fail = (err: Error) => {
    if (failed) return;
    failed = true;
    if (err instanceof CsrfRejected) keepTextFields(req, fields);
    stopInput();
    stopParsing(req, res, parser, err);
    const settle = () => reject(err);
    chain.then(settle, settle);
  };

  parser.on('field', (name, value, info) => {
    if (name === '_csrf' && !csrfOk) csrfOk = validateCsrf(value);
    if (info.valueTruncated) truncated.add(name);
    (fields[name] ??= []).push(value);
  });
  parser.on('file', (field, stream, info) => {
    // Attached before anything can await: busboy errors a file stream the body ends inside of.
    stream.on('error', () => fail(new MalformedBody()));
    if (failed) return void stream.resume();
    if (!csrfOk) {
      stream.resume();
      if (info.filename) req.refusedFiles = 1; // named as not received on the page that keeps the text
      fail(new CsrfRejected());
      return;
    }
    const snapshot = fields;
    chain = chain.then(async () => {
      // An empty file input still sends a part with no name and no bytes.
      if (!info.filename || failed) {
        stream.resume();
        return;
      }
      await opts.onFile({ field, name: info.filename, declaredType: info.mimeType, stream }, snapshot);
    });
    chain.catch((err: Error) => fail(err));
  });
  // More fields or parts than any of our forms has: not a browser.
  for (const limit of ['fieldsLimit', 'partsLimit'] as const) parser.on(limit, () => fail(new MalformedBody()));
  parser.on('error', () => fail(new MalformedBody()));
  parser.on('close', () => {
    if (failed) return;
    stopInput();
    chain.then(
      () => (csrfOk ? resolve({ fields, truncated }) : reject((keepTextFields(req, fields), new CsrfRejected()))),
      (err: Error) => reject(err),
    );
  });
  req.pipe(parser);
}

/**
 * A body refused by the CSRF check (its session ended, or it was signed out in another tab) keeps
 * the text fields read before the refusal, for the error page that gives them back (web/errors.ts);
 * they are never stored. Files are never kept.
 */
function keepTextFields(req: Request, fields: FieldMap): void {
  req.body = Object.fromEntries(Object.entries(fields).map(([name, values]) => [name, values.length === 1 ? values[0] : values]));
}

/** Ends a refused parse: no more input to the parser, and the answer will close the connection. */
function stopParsing(req: Request, res: Response, parser: busboy.Busboy, err: Error): void {
  req.unpipe(parser);
  // Ends the part being read: its onFile sees the stream fail, removes its row and returns.
  parser.destroy();
  closing(res, err);
  // Discard the rest until the answer is sent (Connection: close then ends the socket).
  if (!(err instanceof BodyTooLarge) && !req.destroyed) req.resume();
}

/**
 * Watches the raw body: a client that disconnects before the end, stalls for `idleTimeoutMs`, or
 * sends more than `maxBodyBytes` ends the parse. Returns the function that stops watching.
 */
function watchInput(req: Request, opts: MultipartOptions, fail: (err: Error) => void): () => void {
  let received = 0;
  const onData = (chunk: Buffer) => {
    received += chunk.byteLength;
    idle.refresh();
    if (received > opts.maxBodyBytes) fail(new BodyTooLarge());
  };
  const onClose = () => {
    if (!req.complete) fail(new MalformedBody());
  };
  const idle = setTimeout(() => {
    // Paused by backpressure: the wait is ours (a file being stored), not the client's.
    if (req.readableFlowing === false) return void idle.refresh();
    fail(new MalformedBody());
    // A stalled sender holds a socket: close it rather than wait for the rest.
    req.socket.destroy();
  }, opts.idleTimeoutMs);
  req.on('data', onData);
  req.once('close', onClose);
  return () => {
    clearTimeout(idle);
    req.off('close', onClose);
    req.off('data', onData);
  };
}

/** The answer to a refused body closes the connection: the rest of the body is not worth reading. */
function closing(res: Response, err: Error): Error {
  if (!res.headersSent) res.setHeader('Connection', 'close');
  return err;
}
