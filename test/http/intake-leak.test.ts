/**
 * The leak test: canary strings typed into every field, identity field, file name, file body,
 * message and note must not appear anywhere the server writes — any column of any table, the
 * logs, the embedded database's files on disk, or new files in the temp directory.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import sharp from 'sharp';
import { sql } from 'kysely';
import { testConfig } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createTestReviewer, followReceiptRedirect, followupLogin, hiddenFields, postReportForm, receiptFrom, type TestStaff } from '../helpers/reports.js';
import { createLogger } from '../../server/core/logger.js';
import { createPublicApp } from '../../server/public/app.js';
import { cryptoReady, formatKdfCost, Kdf } from '../../server/core/crypto/index.js';
import { ImageJobs } from '../../server/core/images/jobs.js';
import { openPglite, type Database } from '../../server/core/db/index.js';
import { auditKeysFrom, withAuditKeys } from '../../server/core/audit/keys.js';
import { migrateToLatest } from '../../server/core/db/migrator.js';
import { ensureInstallation } from '../../server/core/installation/repository.js';
import { openReportKey } from '../../server/core/reports/keys.js';
import { listReportAttachments, streamAttachment } from '../../server/core/reports/attachments.js';
import type { AppContext } from '../../server/core/context.js';
import type { Express } from 'express';

const tag = randomBytes(4).toString('hex').toUpperCase();
const canary = (field: string) => `CANARY${field}${tag}`;

/** Text canaries per form field; phones, dates and ID numbers must keep their shape, so they are unusual values. */
const TEXT = {
  description: `${canary('DESC')} 金丝雀描述${tag}`,
  waybill_numbers: `${canary('WAYBILLA')}\n${canary('WAYBILLB')}`,
  courier_company: canary('COURIER'),
  outlet: canary('OUTLET'),
  declared_contents: canary('DECLARED'),
  suspected_contents: canary('SUSPECTED'),
  sender_name: canary('SENDERNAME'),
  sender_phone: '+86 139 8765 4321',
  sender_address: canary('SENDERADDR'),
  recipient_name: canary('RECIPNAME'),
  recipient_phone: '0571-8876 5432',
  recipient_address: canary('RECIPADDR'),
  destination: canary('DEST'),
  observed_at: '2019-03-17T04:56',
  observed_place: canary('PLACE'),
  identity_name: canary('IDNAME'),
  identity_phone: '158 0000 7531',
  identity_id_number: '51010819800101987X',
  identity_contact: canary('IDCONTACT'),
};
const NEEDLES = [
  ...Object.entries(TEXT).filter(([k]) => !['sender_phone', 'recipient_phone', 'observed_at', 'identity_phone', 'identity_id_number', 'description', 'waybill_numbers'].includes(k)).map(([, v]) => v),
  canary('DESC'), `金丝雀描述${tag}`, canary('WAYBILLA'), canary('WAYBILLB'),
  '13987654321', '139 8765 4321', '05718876', '8876 5432', '2019-03-17', '15800007531', '158 0000 7531', '51010819800101987',
  canary('FILENAMETXT'), canary('FILENAMEPNG'), canary('FILENAMEJPG'), canary('FILENAMESTAGED'), canary('FILENAMELATE'),
  canary('FILEBODY'), canary('PNGTEXT'), canary('EXIFDESC'), canary('STAGEDBODY'),
  canary('REPLY'), canary('NOTE'), canary('LATENAME'), canary('LATECONTACT'),
];

const CONTROL = `CONTROLCLEAR${tag}`;
const CONTROL_BYTES = `CONTROLBYTES${tag}`;

let database: Database & { drop(): Promise<void> };
let app: Express;
let ctx: AppContext;
let reviewer: TestStaff;
let dataDir: string | null = null;
const logs: string[] = [];
const tmpBefore = new Set(readdirSync(tmpdir()));

beforeAll(async () => {
  await cryptoReady();
  const config = testConfig({ LOG_LEVEL: 'trace' });
  if (process.env.DATABASE_URL) {
    database = await createTestDatabase();
  } else {
    // On disk, so the files the embedded database writes can be scanned too.
    dataDir = mkdtempSync(path.join(tmpdir(), 'parcelguard-leak-'));
    const pglite = await openPglite(dataDir);
    await migrateToLatest(pglite.db);
    database = { ...pglite, db: withAuditKeys(pglite.db, auditKeysFrom(config.secrets)), drop: () => pglite.close() };
  }
  await ensureInstallation(database.db, formatKdfCost(config.argon2), config.secrets.receiptPepper);
  const logger = createLogger(config.logLevel, new Writable({ write: (chunk, _e, done) => (logs.push(String(chunk)), done()) }));
  ctx = { config, database, logger, kdf: new Kdf(config.argon2), images: new ImageJobs(config.images) };
  app = createPublicApp(ctx);
  reviewer = await createTestReviewer({ database, ctx, config, app, logs, close: async () => {} } as never, { custodian: true });
});
afterAll(async () => {
  await database.drop().catch(() => {});
});

function pngWithText(png: Buffer, text: string): Buffer {
  const data = Buffer.concat([Buffer.from('Comment\0', 'latin1'), Buffer.from(text, 'latin1')]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from('tEXt'), data]);
  let c = ~0;
  for (const byte of body) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(~c >>> 0);
  return Buffer.concat([png.subarray(0, 33), len, body, crc, png.subarray(33)]);
}

async function images() {
  const png = pngWithText(await sharp({ create: { width: 16, height: 16, channels: 3, background: '#345678' } }).png().toBuffer(), canary('PNGTEXT'));
  const jpeg = await sharp({ create: { width: 24, height: 16, channels: 3, background: '#876543' } })
    .withMetadata({ exif: { IFD0: { ImageDescription: canary('EXIFDESC'), Make: canary('EXIFDESC') }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '30/1 15/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '120/1 10/1 0/1' } } })
    .jpeg()
    .toBuffer();
  return { png, jpeg };
}

let reportId = '';

describe('leak test', () => {
  it('submits canaries everywhere through the real HTTP flow', async () => {
    const { png, jpeg } = await images();
    expect(png.includes(canary('PNGTEXT'))).toBe(true);
    expect(jpeg.includes(canary('EXIFDESC'))).toBe(true);
    const agent = request.agent(app);

    // An abandoned attempt: its staged file is never sent.
    const f0 = await agent.get('/report');
    const abandoned = await postReportForm(agent, '/report', csrfTokenFrom(f0.text), { ...TEXT, description: '', categories: 'other', action: 'review' }, [
      { name: `${canary('FILENAMESTAGED')}.txt`, body: Buffer.from(canary('STAGEDBODY')), type: 'text/plain' },
    ]);
    expect(abandoned.status).toBe(422);

    // A rejected attempt with all files, then the review step and send.
    const agent2 = request.agent(app);
    const f2 = await agent2.get('/report');
    const first = await postReportForm(agent2, '/report', csrfTokenFrom(f2.text), { ...TEXT, categories: ['spy_equipment'], identity_choice: 'confidential', province: 'XX', action: 'review' }, [
      { name: `${canary('FILENAMETXT')}.txt`, body: Buffer.from(`hello ${canary('FILEBODY')}\n`), type: 'text/plain' },
      { name: `${canary('FILENAMEPNG')}.png`, body: png, type: 'image/png' },
      { name: `${canary('FILENAMEJPG')}.jpg`, body: jpeg, type: 'image/jpeg' },
    ]);
    expect(first.status).toBe(422);
    const staged = Object.fromEntries(hiddenFields(first.text).filter(([n]) => n === 'staging_key'));
    const stagedIds = hiddenFields(first.text).filter(([n]) => n === 'staged').map(([, v]) => v);
    expect(stagedIds).toHaveLength(3);
    const review = await postReportForm(agent2, '/report', csrfTokenFrom(first.text), { ...staged, staged: stagedIds, ...TEXT, categories: ['spy_equipment'], identity_choice: 'confidential', province: 'ZJ', action: 'review' });
    expect(review.status).toBe(200);
    const hidden = hiddenFields(review.text).filter(([n]) => n !== '_csrf');
    let send = agent2.post('/report').field('_csrf', csrfTokenFrom(review.text));
    for (const [n, v] of hidden) send = send.field(n, v);
    const page = await followReceiptRedirect(agent2, await send.field('action', 'send'));
    const receipt = receiptFrom(page.text)!;
    expect(receipt).toMatch(/^\d{16}$/);
    reportId = (await database.db.selectFrom('reports').select('id').orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow()).id;

    // Follow-up: a reply and a file with a note.
    const reporter = request.agent(app);
    expect((await followupLogin(reporter, receipt)).status).toBe(303);
    const status = await reporter.get('/followup');
    expect((await reporter.post('/followup/reply').type('form').send({ _csrf: csrfTokenFrom(status.text), body: canary('REPLY') })).status).toBe(303);
    const added = await postReportForm(reporter, '/followup/files', csrfTokenFrom(status.text), { note: canary('NOTE') }, [
      { name: `${canary('FILENAMELATE')}.txt`, body: Buffer.from(canary('FILEBODY')), type: 'text/plain' },
    ]);
    expect(added.status).toBe(303);

    // A second, anonymous report whose reporter adds identity later.
    const agent3 = request.agent(app);
    const f3 = await agent3.get('/report');
    const anon = await agent3.post('/report').type('form').send({ _csrf: csrfTokenFrom(f3.text), categories: 'other', description: canary('DESC'), action: 'send' });
    const second = request.agent(app);
    await followupLogin(second, receiptFrom(anon.text)!);
    const s2 = await second.get('/followup');
    const consent = await second.post('/followup/consent').type('form').send({ _csrf: csrfTokenFrom(s2.text), consent: 'confidential', identity_name: canary('LATENAME'), identity_contact: canary('LATECONTACT') });
    expect(consent.status).toBe(303);
  });

  it('finds no canary in any column of any table', async () => {
    // Positive control: a canary written in clear on purpose must be found, in text and in bytes.
    await database.db.insertInto('rate_limits').values({ bucket: CONTROL, key: 'control', window_start: new Date(0), hits: 1, expires_at: new Date(0) }).execute();
    await database.db.insertInto('sessions').values({ id_hash: Buffer.from(CONTROL_BYTES), kind: 'reporter', principal_id: crypto.randomUUID(), idle_seconds: 1, expires_at: new Date(0) }).execute();
    const columns = await sql<{ table_name: string; column_name: string; data_type: string }>`
      select table_name, column_name, data_type from information_schema.columns
      where table_schema = current_schema() order by table_name, ordinal_position`.execute(database.db);
    const needles = [...NEEDLES, CONTROL, CONTROL_BYTES].map((n) => ({ text: n.toLowerCase(), bytes: Buffer.from(n), hex: Buffer.from(n).toString('hex') }));
    const hits: string[] = [];
    let scanned = 0;
    for (const { table_name: table, column_name: column, data_type: type } of columns.rows) {
      const rows = await sql<{ v: unknown }>`select ${sql.ref(column)}${type === 'bytea' ? sql`` : sql`::text`} as v from ${sql.table(table)}`.execute(database.db);
      for (const { v } of rows.rows) {
        if (v === null) continue;
        scanned++;
        if (v instanceof Uint8Array) {
          const buf = Buffer.from(v);
          const hex = buf.toString('hex');
          const latin = buf.toString('latin1').toLowerCase();
          for (const n of needles) if (buf.includes(n.bytes) || latin.includes(n.text) || hex.includes(n.hex)) hits.push(`${table}.${column}: ${n.text}`);
        } else {
          const text = String(v).toLowerCase();
          for (const n of needles) if (text.includes(n.text) || text.includes(n.hex)) hits.push(`${table}.${column}: ${n.text}`);
        }
      }
    }
    expect(scanned).toBeGreaterThan(100);
    expect(hits.sort()).toEqual([`rate_limits.bucket: ${CONTROL.toLowerCase()}`, `sessions.id_hash: ${CONTROL_BYTES.toLowerCase()}`]);
  });

  it('finds no canary in the logs', () => {
    const all = logs.join('\n').toLowerCase();
    expect(logs.length).toBeGreaterThan(5);
    expect(NEEDLES.filter((n) => all.includes(n.toLowerCase()))).toEqual([]);
  });

  it('a JPEG with GPS EXIF comes out, after decrypting, with no EXIF at all', async () => {
    const k = await openReportKey(database.db, reportId, 'report', { kind: 'staff', ...reviewer });
    const files = await listReportAttachments(database.db, reportId, k!);
    const jpeg = files.find((f) => f.meta.type === 'image/jpeg')!;
    const parts: Uint8Array[] = [];
    for await (const part of streamAttachment(database.db, jpeg.id, jpeg.meta.fileKey)) parts.push(part);
    const meta = await sharp(Buffer.concat(parts)).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.exif).toBeUndefined();
    expect(meta.width).toBe(24);
    expect(jpeg.meta.metadataRemoved).toBe(true);
  });

  it('finds no canary on disk: the embedded data directory and new temp files', async () => {
    if (dataDir) {
      await database.db.selectFrom('reports').select('id').execute(); // still open; PGlite writes through as it goes
      await database.drop();
    }
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        let st;
        try {
          st = statSync(full);
        } catch {
          continue;
        }
        if (st.isDirectory()) walk(full);
        else if (st.isFile() && st.size < 256 * 1024 * 1024) files.push(full);
      }
    };
    for (const name of readdirSync(tmpdir())) {
      if (!tmpBefore.has(name) || (dataDir && path.join(tmpdir(), name) === dataDir)) {
        try {
          if (statSync(path.join(tmpdir(), name)).isDirectory()) walk(path.join(tmpdir(), name));
          else files.push(path.join(tmpdir(), name));
        } catch {
          /* vanished */
        }
      }
    }
    if (dataDir) expect(files.some((f) => f.startsWith(dataDir!))).toBe(true);
    const hits: string[] = [];
    for (const file of files) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch {
        continue;
      }
      for (const n of [...NEEDLES, CONTROL]) if (bytes.includes(Buffer.from(n))) hits.push(n);
    }
    // The control row proves the scan reads the database files; nothing else may be there.
    if (dataDir) expect(hits).toContain(CONTROL);
    expect(hits.filter((h) => h !== CONTROL)).toEqual([]);
  });
});
