import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import sharp from 'sharp';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createStaff, loginStaff } from '../helpers/staff.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { decodeEntities } from '../helpers/html.js';

/**
 * The organisation's logo: an administrator uploads a picture, the server redraws it as a PNG
 * without the original's metadata, and both apps show it in the header by its digest; bad files get
 * a translated message and change nothing; each change is audited.
 */
let t: TestApp;
let admin: TestAgent;
let reviewer: TestAgent;
beforeAll(async () => {
  t = await createTestApp();
  admin = await loginStaff(t, await createStaff(t, { role: 'admin' }));
  reviewer = await loginStaff(t, await createStaff(t, { role: 'reviewer' }));
});
afterAll(async () => {
  await t.close();
});
const db = () => t.database.db;
const events = (event: string) => db().selectFrom('audit_log').select(['event', 'actor_id', 'details']).where('event', '=', event).execute();
const ROUTE = '/staff/admin/settings/logo';

async function upload(bytes: Buffer, filename = 'logo.jpg', contentType = 'image/jpeg') {
  const page = await admin.get(ROUTE);
  expect(page.status).toBe(200);
  return admin.post(ROUTE).field('_csrf', csrfTokenFrom(page.text)).attach('logo', bytes, { filename, contentType });
}

const LOGO_SRC = /<img class="brand-logo" src="(\/(?:staff\/)?logo\/([0-9a-f]{32})\.png)" width="(\d+)" height="(\d+)"/;

describe('organisation logo', () => {
  it('is for administrators only', async () => {
    expect((await reviewer.get(ROUTE)).status).toBe(403);
  });

  it('redraws an upload as a PNG without its metadata, shows it on both apps, and audits it', async () => {
    const photo = await sharp({ create: { width: 1200, height: 600, channels: 3, background: '#c0392b' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'LOGO-CANARY-MAKE', Artist: 'LOGO-CANARY-ARTIST' } })
      .toBuffer();
    const res = await upload(photo);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${ROUTE}?done=saved`);

    const landing = await request(t.publicApp).get('/');
    const [, publicUrl, digest, width, height] = LOGO_SRC.exec(landing.text)!;
    expect(publicUrl).toBe(`/logo/${digest}.png`);
    expect([Number(width), Number(height)]).toEqual([320, 160]); // fits 480 × 160, shape kept
    const image = await request(t.publicApp).get(publicUrl!).buffer(true);
    expect(image.status).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    expect(image.headers['cache-control']).toContain('immutable');
    const meta = await sharp(image.body as Buffer).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 320, height: 160 });
    expect(meta.exif).toBeUndefined();
    expect((image.body as Buffer).includes('LOGO-CANARY')).toBe(false);

    const staffPage = await admin.get('/staff');
    expect(LOGO_SRC.exec(staffPage.text)?.[1]).toBe(`/staff/logo/${digest}.png`);
    expect((await request(t.staffApp).get(`/staff/logo/${digest}.png`)).status).toBe(200);
    // The public listener has no staff path and the staff listener no public one.
    expect((await request(t.publicApp).get(`/staff/logo/${digest}.png`)).status).toBe(404);
    expect((await request(t.staffApp).get(`/logo/${digest}.png`)).status).toBe(404);
    expect((await request(t.publicApp).get(`/logo/${'0'.repeat(32)}.png`)).status).toBe(404);

    const audited = await events('settings.logo_changed');
    expect(audited).toHaveLength(1);
    expect(audited[0]!.details).toEqual({ digest, width: 320, height: 160 });
  });

  it('refuses a file that is not a picture, or too large, with a translated message, and keeps the logo', async () => {
    const before = (await db().selectFrom('organisation_logo').select('digest').executeTakeFirstOrThrow()).digest;
    const text = await upload(Buffer.from('%PDF-1.7 not a picture'), 'logo.pdf', 'application/pdf');
    expect(text.status).toBe(422);
    expect(decodeEntities(text.text)).toContain('无法读取这张图片');
    const big = await upload(Buffer.alloc(2 * 1024 * 1024 + 10, 1), 'big.png', 'image/png');
    expect(big.status).toBe(422);
    expect(decodeEntities(big.text)).toContain('图片超过 2048 KB');
    const gif = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } }).gif().toBuffer();
    const refused = await upload(gif, 'logo.gif', 'image/gif');
    expect(refused.status).toBe(422);
    expect(decodeEntities(refused.text)).toContain('只接受 PNG、JPEG 或 WebP 图片');
    const none = await admin.post(ROUTE).field('_csrf', csrfTokenFrom((await admin.get(ROUTE)).text));
    expect(none.status).toBe(422);
    expect(decodeEntities(none.text)).toContain('请选择一个图片文件');
    expect((await db().selectFrom('organisation_logo').select('digest').executeTakeFirstOrThrow()).digest).toBe(before);
    expect(await events('settings.logo_changed')).toHaveLength(1);
  });

  it('an administrator removes it: audited, and pages show the name alone', async () => {
    const page = await admin.get(ROUTE);
    const res = await admin.post(`${ROUTE}/remove`).type('form').send({ _csrf: csrfTokenFrom(page.text) });
    expect(res.status).toBe(303);
    expect(await events('settings.logo_removed')).toHaveLength(1);
    expect((await request(t.publicApp).get('/')).text).not.toContain('brand-logo');
  });
});
