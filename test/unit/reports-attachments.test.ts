import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestReviewer, submitTestReport, type TestStaff } from '../helpers/reports.js';
import { newSymmetricKey, sha256, toHex } from '../../server/core/crypto/index.js';
import {
  ATTACHMENT_LIMITS,
  discardStagedFiles,
  listReportAttachments,
  openStagedFiles,
  stageUpload,
  streamAttachment,
} from '../../server/core/reports/attachments.js';
import { openReportKey } from '../../server/core/reports/keys.js';
import { purgeExpiredStagedAttachments } from '../../server/core/intake/maintenance.js';

let t: TestApp;
let reviewer: TestStaff;
beforeAll(async () => {
  t = await createTestApp();
  reviewer = await createTestReviewer(t);
});
afterAll(async () => {
  await t.close();
});

async function* pieces(bytes: Uint8Array, size = 1000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p);
  return Buffer.concat(parts);
}

const stage = (bytes: Uint8Array, name: string, declaredType: string, stagingKey = newSymmetricKey(), maxBytes = ATTACHMENT_LIMITS.maxFileBytes) =>
  stageUpload(t.database.db, pieces(bytes), { name, declaredType, maxBytes, stagingKey, images: t.ctx.images });

describe('stageUpload', () => {
  it('streams a large text file into 64 KiB encrypted chunks and back, under a staging key only', async () => {
    const text = Buffer.from('运单号 SF1234567890 寄件人可疑\n'.repeat(20_000));
    const stagingKey = newSymmetricKey();
    const result = await stage(text, 'notes/../证据.txt', 'text/plain; charset=utf-8', stagingKey);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.file.meta).toMatchObject({ name: '证据.txt', type: 'text/plain', size: text.length, sha256: toHex(sha256(text)), metadataRemoved: false });
    const row = await t.database.db.selectFrom('attachments').selectAll().where('id', '=', result.file.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ report_id: null, complete: true, chunk_count: 1 + Math.ceil(text.length / 65536) });
    expect(Buffer.from(row.meta_sealed).toString('utf8')).not.toContain('证据');
    const chunks = await t.database.db.selectFrom('attachment_chunks').select('data').where('attachment_id', '=', result.file.id).execute();
    expect(chunks.every((c) => !Buffer.from(c.data).includes('SF1234567890'))).toBe(true);
    expect(await collect(streamAttachment(t.database.db, result.file.id, result.file.meta.fileKey))).toEqual(text);

    expect(await openStagedFiles(t.database.db, [result.file.id], newSymmetricKey())).toEqual([]);
    expect(await openStagedFiles(t.database.db, [result.file.id, 'not-a-uuid'], stagingKey)).toEqual([result.file]);
  });

  it('detects the type from the bytes, not the name or the declared type', async () => {
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(300, 1)]);
    expect(await stage(exe, 'photo.jpg', 'image/jpeg')).toEqual({ ok: false, reason: 'type_not_allowed' });
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(300, 0)]);
    expect(await stage(zip, 'notes.txt', 'text/plain')).toEqual({ ok: false, reason: 'type_not_allowed' });
    expect(await stage(Buffer.from('plain words'), 'a.bin', 'application/octet-stream')).toEqual({ ok: false, reason: 'type_not_allowed' });
    expect(await stage(Buffer.from([0x61, 0xff, 0xfe, 0x62]), 'a.txt', 'text/plain')).toEqual({ ok: false, reason: 'not_utf8' });
    expect(await stage(new Uint8Array(0), 'empty.txt', 'text/plain')).toEqual({ ok: false, reason: 'empty' });
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(5000, 0x20)]);
    const stored = await stage(pdf, 'scan.bin', 'application/octet-stream');
    expect(stored.ok && stored.file.meta.type).toBe('application/pdf');
    const left = await t.database.db.selectFrom('attachments').select('id').where('complete', '=', false).execute();
    expect(left).toEqual([]); // rejected uploads leave no rows behind
  });

  it('enforces the per-file size limit while streaming and removes what was written', async () => {
    const before = await t.database.db.selectFrom('attachment_chunks').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const big = Buffer.alloc(300_000, 0x41);
    expect(await stage(big, 'big.txt', 'text/plain', newSymmetricKey(), 200_000)).toEqual({ ok: false, reason: 'too_large' });
    const png = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer();
    expect(await stage(png, 'big.png', 'image/png', newSymmetricKey(), 1000)).toEqual({ ok: false, reason: 'too_large' });
    const after = await t.database.db.selectFrom('attachment_chunks').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('re-encodes images without EXIF, GPS, ICC or text chunks, keeping their orientation', async () => {
    const jpeg = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#c00' } })
      .withMetadata({ orientation: 6, exif: { IFD0: { ImageDescription: 'EXIF-CANARY' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '23/1 7/1 0/1' } } })
      .jpeg()
      .toBuffer();
    expect((await sharp(jpeg).metadata()).exif).toBeDefined();
    const result = await stage(jpeg, 'IMG_0001.JPG', 'image/jpeg');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const out = await collect(streamAttachment(t.database.db, result.file.id, result.file.meta.fileKey));
    const meta = await sharp(out).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect([meta.width, meta.height]).toEqual([20, 40]); // orientation 6 applied to the pixels
    expect(out.includes('EXIF-CANARY')).toBe(false);
    expect(result.file.meta).toMatchObject({ type: 'image/jpeg', metadataRemoved: true, size: out.length, sha256: toHex(sha256(out)) });

    const png = await sharp({ create: { width: 8, height: 8, channels: 4, background: '#0c0' } }).png().toBuffer();
    const withText = insertPngText(png, 'Comment', 'PNG-CANARY');
    expect((await sharp(withText).metadata()).comments).toEqual([{ keyword: 'Comment', text: 'PNG-CANARY' }]);
    const pngResult = await stage(withText, 'x.png', 'image/png');
    expect(pngResult.ok).toBe(true);
    if (!pngResult.ok) return;
    const pngOut = await collect(streamAttachment(t.database.db, pngResult.file.id, pngResult.file.meta.fileKey));
    expect(pngOut.includes('PNG-CANARY')).toBe(false);
    expect((await sharp(pngOut).metadata()).comments).toBeUndefined();

    const broken = Buffer.concat([jpeg.subarray(0, 200)]);
    expect(await stage(broken, 'broken.jpg', 'image/jpeg')).toEqual({ ok: false, reason: 'image_unreadable' });
  });

  it('detects a tampered or truncated chunk stream', async () => {
    const result = await stage(Buffer.alloc(200_000, 0x42), 'b.txt', 'text/plain');
    if (!result.ok) throw new Error('not stored');
    await t.database.db.deleteFrom('attachment_chunks').where('attachment_id', '=', result.file.id).where('seq', '=', 2).execute();
    await expect(collect(streamAttachment(t.database.db, result.file.id, result.file.meta.fileKey))).rejects.toThrow();
  });
});

describe('staged files', () => {
  it('are attached to a report with their metadata re-sealed under K', async () => {
    const stagingKey = newSymmetricKey();
    const a = await stage(Buffer.from('first file'), 'a.txt', 'text/plain', stagingKey);
    const b = await stage(Buffer.from('second file'), 'b.txt', 'text/plain', stagingKey);
    if (!a.ok || !b.ok) throw new Error('not stored');
    await discardStagedFiles(t.database.db, [b.file.id], newSymmetricKey()); // wrong key: ignored
    await discardStagedFiles(t.database.db, [b.file.id], stagingKey);
    expect(await openStagedFiles(t.database.db, [a.file.id, b.file.id], stagingKey)).toEqual([a.file]);

    const { reportId } = await submitTestReport(t, { attachments: [a.file] });
    const k = await openReportKey(t.database.db, reportId, 'report', { kind: 'staff', ...reviewer });
    const files = await listReportAttachments(t.database.db, reportId, k!);
    expect(files.map((f) => f.meta)).toEqual([a.file.meta]);
    const row = await t.database.db.selectFrom('reports').select('attachment_count').where('id', '=', reportId).executeTakeFirstOrThrow();
    expect(row.attachment_count).toBe(1);
    expect(await openStagedFiles(t.database.db, [a.file.id], stagingKey)).toEqual([]); // no longer staged
  });

  it('expire and are purged with their chunks', async () => {
    const result = await stage(Buffer.from('abandoned'), 'c.txt', 'text/plain');
    if (!result.ok) throw new Error('not stored');
    const purged = await purgeExpiredStagedAttachments(t.database.db, new Date(Date.now() + ATTACHMENT_LIMITS.stagingTtlMs + 1000));
    expect(purged).toBeGreaterThanOrEqual(1);
    const left = await t.database.db.selectFrom('attachment_chunks').select('seq').where('attachment_id', '=', result.file.id).execute();
    expect(left).toEqual([]);
  });
});

/** Inserts a tEXt chunk right after IHDR (sharp cannot write one). */
function insertPngText(png: Buffer, keyword: string, text: string): Buffer {
  const data = Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]);
  const type = Buffer.from('tEXt');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, data])));
  const ihdrEnd = 8 + 8 + 13 + 4;
  return Buffer.concat([png.subarray(0, ihdrEnd), length, type, data, crc, png.subarray(ihdrEnd)]);
}

function crc32(bytes: Buffer): number {
  let c = ~0;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
