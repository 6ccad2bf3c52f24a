/**
 * The checks an upload passes on its way in: its type is sniffed from the bytes, its size capped as
 * it streams, text must be strict UTF-8, and images are re-encoded without metadata. Each refusal
 * throws Rejected with the reason the form shows; see stageUpload in ./attachments.ts.
 */
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { ImageRefused, reencodeImage, type ImageFormat } from '../images/reencode.js';
import type { ImageTicket } from '../images/jobs.js';

/**
 * HEIC needs an HEVC decoder that sharp's prebuilt libvips does not ship (its heif loader reads
 * AVIF only). Without one we could neither re-encode nor strip a HEIC photo, so it is accepted
 * only where this check says the library can read it.
 */
export const HEIC_SUPPORTED = (sharp.format.heif?.input?.fileSuffix ?? []).includes('.heic');

export type Handling = { kind: 'image'; output: ImageFormat; type: string } | { kind: 'stream'; type: string };

const ALLOWED: Readonly<Record<string, Handling>> = {
  'image/jpeg': { kind: 'image', output: 'jpeg', type: 'image/jpeg' },
  'image/png': { kind: 'image', output: 'png', type: 'image/png' },
  'image/webp': { kind: 'image', output: 'webp', type: 'image/webp' },
  ...(HEIC_SUPPORTED ? { 'image/heic': { kind: 'image', output: 'jpeg', type: 'image/jpeg' } as Handling } : {}),
  'application/pdf': { kind: 'stream', type: 'application/pdf' },
  'video/mp4': { kind: 'stream', type: 'video/mp4' },
};

export type UploadRejection = 'type_not_allowed' | 'too_large' | 'empty' | 'not_utf8' | 'image_unreadable' | 'image_too_large';

/** Thrown by the checks below; stageUpload turns it into a refusal and drains the rest of the upload. */
export class Rejected extends Error {
  constructor(readonly reason: UploadRejection) {
    super(reason);
  }
}

export const SNIFF_BYTES = 4100; // what file-type needs to recognise every type it knows

export async function classify(prefix: Uint8Array, declaredType: string): Promise<Handling> {
  const detected = await fileTypeFromBuffer(prefix);
  if (detected) {
    const handling = ALLOWED[detected.mime];
    if (!handling) throw new Rejected('type_not_allowed');
    return handling;
  }
  if (declaredType.toLowerCase().split(';')[0]!.trim() === 'text/plain') return { kind: 'stream', type: 'text/plain' };
  throw new Rejected('type_not_allowed');
}

export async function readPrefix(input: AsyncIterator<Uint8Array>, want: number): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let size = 0;
  while (size < want) {
    const next = await input.next();
    if (next.done) break;
    pieces.push(next.value);
    size += next.value.byteLength;
  }
  return Buffer.concat(pieces);
}

/** Images must be decoded whole by libvips, so they are buffered — never beyond the per-file cap. */
export async function collect(prefix: Uint8Array, input: AsyncIterator<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const pieces: Uint8Array[] = [prefix];
  let size = prefix.byteLength;
  for (let next = await input.next(); !next.done; next = await input.next()) {
    size += next.value.byteLength;
    if (size > maxBytes) throw new Rejected('too_large');
    pieces.push(next.value);
  }
  if (size > maxBytes) throw new Rejected('too_large');
  return Buffer.concat(pieces);
}

/** The photo re-encoded in its turn among the image jobs; the uploaded bytes are wiped after. */
export async function* cleanedImage(ticket: ImageTicket, image: Buffer, output: ImageFormat): AsyncGenerator<Uint8Array> {
  try {
    yield await ticket.run(() => reencodeImage(image, output));
  } catch (err) {
    if (err instanceof ImageRefused) throw new Rejected(err.reason);
    throw err;
  } finally {
    image.fill(0);
  }
}

/** Passes bytes through, enforcing the size cap and (for text) strict UTF-8 as they stream. */
export async function* checked(prefix: Uint8Array, input: AsyncIterator<Uint8Array>, maxBytes: number, utf8Only: boolean): AsyncGenerator<Uint8Array> {
  const decoder = utf8Only ? new TextDecoder('utf-8', { fatal: true }) : null;
  let size = 0;
  const check = (piece: Uint8Array) => {
    size += piece.byteLength;
    if (size > maxBytes) throw new Rejected('too_large');
    try {
      decoder?.decode(piece, { stream: true });
    } catch {
      throw new Rejected('not_utf8');
    }
  };
  check(prefix);
  yield prefix;
  for (let next = await input.next(); !next.done; next = await input.next()) {
    check(next.value);
    yield next.value;
  }
  try {
    decoder?.decode();
  } catch {
    throw new Rejected('not_utf8');
  }
}

export async function drain(input: AsyncIterator<Uint8Array>): Promise<void> {
  for (let next = await input.next(); !next.done; next = await input.next()) void next;
}
