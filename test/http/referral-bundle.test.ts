import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Response } from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { auditEvents, fileReport, pngBytes, post, signedIn, stagedFile, type Actor } from './case-fixtures.js';
import { CryptoError, fromUtf8, openBundle, publicKeyFromPrivate, type BoxKeyPair } from '../../server/core/crypto/index.js';
import { parseEscrowKeyFile } from '../../server/core/escrow/service.js';

/**
 * A referral exported for a receiving body with a public key on file: the body creates its key
 * pair (authority:keygen), the operator registers the public half (authority:add), a reviewer
 * downloads the bundle from the referral sheet, and only the body's private key opens it
 * (bundle:open), with the record and the very files that went.
 */
let t: TestApp;
let reviewer: Actor;
let outsider: Actor;
let dir: string;
let body: BoxKeyPair;
let authorityId: string;
beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t);
  dir = mkdtempSync(path.join(tmpdir(), 'parcelguard-bundle-'));
});
afterAll(async () => {
  await t.close();
});

const cli = (...argv: string[]) => runCli(t, ...argv);

const binary = (res: Response) => res.body as Buffer;
async function* once(bytes: Uint8Array) {
  yield bytes;
}
async function collect(pieces: AsyncIterable<Uint8Array>) {
  const parts: Uint8Array[] = [];
  for await (const p of pieces) parts.push(p);
  return Buffer.concat(parts);
}

describe('receiving bodies', () => {
  it('keygen writes the private key 0600 and prints the public key; add registers it, refusing bad keys and duplicates', async () => {
    const keyFile = path.join(dir, 'bureau.key');
    const gen = await cli('authority:keygen', '--out', keyFile);
    expect(gen.code).toBe(0);
    const privateKey = parseEscrowKeyFile(readFileSync(keyFile, 'utf8'))!;
    body = { publicKey: publicKeyFromPrivate(privateKey), privateKey };
    const publicB64 = /Public key to give the portal operator: (\S+)/.exec(gen.out)![1]!;
    expect(Buffer.from(publicB64, 'base64')).toEqual(Buffer.from(body.publicKey));
    expect(gen.out).not.toContain(Buffer.from(privateKey).toString('base64'));

    expect((await cli('authority:add', '--name', '某市国家安全局', '--public-key', 'AAAA')).code).toBe(65);
    const add = await cli('authority:add', '--name', '某市国家安全局', '--public-key', publicB64);
    expect(add.code).toBe(0);
    expect((await cli('authority:add', '--name', '某市国家安全局', '--public-key', publicB64)).code).toBe(1);
    expect((await cli('authority:list')).out).toContain('某市国家安全局');
    authorityId = (await t.database.db.selectFrom('authorities').select('id').executeTakeFirstOrThrow()).id;
  });
});

describe('a referral bundle', () => {
  it('is offered on the sheet, downloads sealed, opens only with the body key, and carries the record and the files', async () => {
    const png = await pngBytes();
    const image = await stagedFile(t, '面单照片.png', png, 'image/png');
    const r = await fileReport(t, { attachments: [image] });
    const fields = { channel: 'state_security_bureau', referredAt: '2026-11-21T10:00', reference: 'GA-2026-77', desk: '值班室', summary: '疑似窃听器材，运单已随附。', attachments: image.id };
    expect((await post(reviewer.agent, `/staff/cases/${r.caseNumber}/referrals/new`, `/staff/cases/${r.caseNumber}/referrals`, fields)).status).toBe(303);
    const referral = await t.database.db.selectFrom('referrals').select('id').where('report_id', '=', r.reportId).executeTakeFirstOrThrow();
    const sheetUrl = `/staff/cases/${r.caseNumber}/referrals/${referral.id}/sheet`;
    const sheet = await reviewer.agent.get(sheetUrl);
    expect(sheet.text).toContain('下载加密移送包');
    expect(sheet.text).toContain('某市国家安全局');

    const bundleUrl = `/staff/cases/${r.caseNumber}/referrals/${referral.id}/bundle`;
    const res = await reviewer.agent.post(bundleUrl).type('form').buffer(true).parse((response, done) => {
      const parts: Buffer[] = [];
      response.on('data', (c: Buffer) => parts.push(c));
      response.on('end', () => done(null, Buffer.concat(parts)));
    }).send({ _csrf: csrfTokenFrom(sheet.text), authority: authorityId });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="referral-/);
    const bytes = binary(res);
    expect(bytes.subarray(0, 10).toString()).toBe('PGBUNDLE1\n');
    expect(bytes.includes(Buffer.from('GA-2026-77'))).toBe(false);

    // Only the body's key opens it…
    const wrong = { publicKey: publicKeyFromPrivate(new Uint8Array(32).fill(7)), privateKey: new Uint8Array(32).fill(7) };
    await expect(collect(openBundle(wrong, once(bytes)))).rejects.toThrow(CryptoError);
    await expect(collect(openBundle(body, once(bytes.subarray(0, bytes.length - 5))))).rejects.toThrow(CryptoError);
    const plain = await collect(openBundle(body, once(bytes)));
    const length = plain.readUInt32BE(0);
    const manifest = JSON.parse(fromUtf8(plain.subarray(4, 4 + length)));
    expect(manifest).toMatchObject({
      format: 'parcelguard-referral/1',
      caseNumber: r.caseNumber,
      referral: { channel: 'state_security_bureau', reference: 'GA-2026-77', desk: '值班室', summary: '疑似窃听器材，运单已随附。', identityShared: false },
      identity: null,
      files: [{ name: '面单照片.png', type: 'image/png' }],
    });
    expect(plain.subarray(4 + length).length).toBe(manifest.files[0].size);

    // …and bundle:open, as the receiving body runs it, writes the record and the file.
    const bundleFile = path.join(dir, 'referral.pgbundle');
    writeFileSync(bundleFile, bytes);
    const opened = await cli('bundle:open', '--bundle', bundleFile, '--key-file', path.join(dir, 'bureau.key'), '--out', path.join(dir, 'opened'));
    expect(opened.code).toBe(0);
    expect(readFileSync(path.join(dir, 'opened', '01-面单照片.png'))).toEqual(plain.subarray(4 + length));
    expect(JSON.parse(readFileSync(path.join(dir, 'opened', 'referral.json'), 'utf8')).referral.reference).toBe('GA-2026-77');
    writeFileSync(bundleFile, bytes.subarray(0, bytes.length - 1));
    expect((await cli('bundle:open', '--bundle', bundleFile, '--key-file', path.join(dir, 'bureau.key'), '--out', path.join(dir, 'cut'))).code).toBe(65);

    const events = await auditEvents(t, r.reportId);
    expect(events.find((e) => e.event === 'referral.bundle_exported')).toMatchObject({ actor_id: reviewer.staff.id, subject_id: referral.id, details: { authority: authorityId, files: 1, identity: false } });

    // An unknown body is refused on the sheet; a reviewer without the case gets 404.
    const refused = await reviewer.agent.post(bundleUrl).type('form').send({ _csrf: csrfTokenFrom(sheet.text), authority: '00000000-0000-4000-8000-000000000000' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('请选择已登记公钥的接收机关');
    outsider = await signedIn(t);
    const own = await outsider.agent.get('/staff');
    expect((await outsider.agent.post(bundleUrl).type('form').send({ _csrf: csrfTokenFrom(own.text), authority: authorityId })).status).toBe(404);
  });
});
