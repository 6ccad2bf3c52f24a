/**
 * Re-encoding an uploaded photo without its metadata, in bounded memory.
 *
 * Limits, decided here and explained in docs/operations.md ("Uploads and images"):
 * - Baseline JPEG and non-interlaced PNG up to 210 megapixels: the largest phone sensors save
 *   200 MP (16320×12240), so no phone photo is refused. libvips decodes them in strips.
 * - Progressive JPEG, interlaced PNG and WebP up to 36 MP: their decoders hold the whole picture
 *   (about 3.5 bytes a pixel, and libwebp again to encode). Cameras write baseline JPEG.
 * - Anything wider or taller than 8192 px is scaled down to fit (67 MP, more than any phone's
 *   default mode); JPEG then decodes with shrink-on-load, so a 200 MP photo never exists in
 *   memory at full size. An EXIF orientation of 5–8 transposes the picture, which needs it whole:
 *   at most 8192² pixels, about 250 MB.
 * - JPEG is written without Huffman optimisation, which would hold every coefficient of the
 *   picture before writing (about 500 MB for 80 MP) for a file a few per cent smaller.
 */
import sharp, { type Metadata } from 'sharp';

// libvips: no operation cache (it would keep decoded pixels of earlier uploads alive) and one
// worker thread per pipeline; how many pipelines run at once is decided by ImageJobs.
sharp.cache(false);
sharp.concurrency(1);

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export const IMAGE_LIMITS = Object.freeze({
  maxPixels: 210_000_000,
  maxWholeDecodePixels: 36_000_000,
  maxEdgePixels: 8192,
});

/** Why a picture was not re-encoded. */
export class ImageRefused extends Error {
  constructor(readonly reason: 'image_unreadable' | 'image_too_large') {
    super(reason);
  }
}

/**
 * Decode and re-encode, dropping every embedded metadata block (EXIF incl. GPS, XMP, IPTC, ICC,
 * comments): sharp writes none of them unless asked. rotate() first applies the EXIF orientation
 * to the pixels, so the photo still stands the right way up once the EXIF is gone.
 */
export async function reencodeImage(image: Buffer, output: ImageFormat): Promise<Buffer> {
  const meta = await sharp(image).metadata().catch(() => {
    throw new ImageRefused('image_unreadable');
  });
  const maxPixels = pixelCap(meta);
  if ((meta.width ?? 0) * (meta.height ?? 0) > maxPixels) throw new ImageRefused('image_too_large');
  const edge = IMAGE_LIMITS.maxEdgePixels;
  try {
    const pipeline = sharp(image, { limitInputPixels: maxPixels, sequentialRead: true })
      .rotate()
      .resize({ width: edge, height: edge, fit: 'inside', withoutEnlargement: true });
    if (output === 'jpeg') return await pipeline.jpeg({ quality: 90, optimiseCoding: false }).toBuffer();
    if (output === 'png') return await pipeline.png().toBuffer();
    return await pipeline.webp({ quality: 90 }).toBuffer();
  } catch {
    throw new ImageRefused('image_unreadable');
  }
}

/** Pictures whose decoder must hold them whole get the lower cap. */
function pixelCap(meta: Metadata): number {
  const whole = meta.format === 'webp' || meta.isProgressive === true;
  return whole ? IMAGE_LIMITS.maxWholeDecodePixels : IMAGE_LIMITS.maxPixels;
}
