import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { IMAGE_LIMITS, ImageRefused, reencodeImage } from '../../server/core/images/reencode.js';

const solid = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#7a5030' } });

describe('reencodeImage limits', () => {
  it('scales a photo larger than 8192 px down to fit, keeping its shape and dropping its EXIF', async () => {
    const photo = await solid(9000, 6000).jpeg({ quality: 70 }).withExif({ IFD0: { Make: 'CANARY-MAKE' } }).toBuffer();
    const out = await reencodeImage(photo, 'jpeg');
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height]).toEqual([IMAGE_LIMITS.maxEdgePixels, 5461]);
    expect(meta.exif).toBeUndefined();
    expect(out.includes('CANARY-MAKE')).toBe(false);
  });

  it('refuses a progressive JPEG above the whole-decode cap before decoding it', async () => {
    const photo = await solid(6100, 6000).jpeg({ quality: 50, progressive: true }).toBuffer();
    expect(6100 * 6000).toBeGreaterThan(IMAGE_LIMITS.maxWholeDecodePixels);
    await expect(reencodeImage(photo, 'jpeg')).rejects.toEqual(new ImageRefused('image_too_large'));
  });

  it('refuses a picture whose header claims more pixels than the cap, and bytes that are no picture', async () => {
    // A PNG header claiming 20000×20000 (400 MP) with no pixel data behind it.
    const header = await solid(1, 1).png().toBuffer();
    const bomb = Buffer.from(header);
    bomb.writeUInt32BE(20_000, 16);
    bomb.writeUInt32BE(20_000, 20);
    await expect(reencodeImage(bomb, 'png')).rejects.toBeInstanceOf(ImageRefused);
    await expect(reencodeImage(Buffer.from('\xff\xd8\xff\xe0 not really a jpeg'), 'jpeg')).rejects.toEqual(new ImageRefused('image_unreadable'));
  });
});
