import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestReviewer, setTestEscrow, submitTestReport, testReportInput, type TestStaff } from '../helpers/reports.js';
import { Kdf, generateBoxKeyPair, openJson, openSealedKey, randomBytes, unwrapKey, type BoxKeyPair } from '../../server/core/crypto/index.js';
import { readInstallation } from '../../server/core/installation/repository.js';
import { grantKeyTo, openReportKey } from '../../server/core/reports/keys.js';
import { appendMessage, listMessages } from '../../server/core/reports/messages.js';
import { submitReport } from '../../server/core/reports/service.js';
import { insertReport } from '../../server/core/reports/report-repository.js';
import { randomUUID } from 'node:crypto';
import type { IdentityRecord, ReportPayload } from '../../server/core/reports/model.js';
import { payloadBinding } from '../../server/core/reports/payload-binding.js';
import type { AppContext } from '../../server/core/context.js';

let t: TestApp;
let reviewer: TestStaff;
let custodian: TestStaff;
let pending: TestStaff;
let escrow: BoxKeyPair;

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await createTestReviewer(t);
  custodian = await createTestReviewer(t, { custodian: true });
  pending = await createTestReviewer(t, { status: 'pending' });
  escrow = await setTestEscrow(t);
});
afterAll(async () => {
  await t.close();
});

const asStaff = (s: TestStaff) => ({ kind: 'staff' as const, id: s.id, publicKey: s.publicKey, privateKey: s.privateKey });

async function reporterKeyPair(receipt: string, reportId: string): Promise<BoxKeyPair> {
  const installation = await readInstallation(t.database.db, t.config.secrets.receiptPepper);
  const keys = await t.ctx.kdf.deriveReceiptKeys(receipt, installation.receiptDerivationSalt, installation.receiptKdfCost);
  const row = await t.database.db.selectFrom('reports').selectAll().where('id', '=', reportId).executeTakeFirstOrThrow();
  expect(Buffer.from(row.receipt_lookup_hash!).equals(Buffer.from(keys.lookupHash))).toBe(true);
  return { publicKey: new Uint8Array(row.reporter_public_key), privateKey: unwrapKey(new Uint8Array(row.reporter_wrapped_private_key!), keys.kek) };
}

/** A bare employee row (the employees area owns joining); only the FK target matters here. */
async function insertEmployee(publicKey: Uint8Array): Promise<string> {
  const db = t.database.db;
  const org = await db.insertInto('organisations').values({ name: 'Test Express' }).returning('id').executeTakeFirstOrThrow();
  const outlet = await db.insertInto('outlets').values({ organisation_id: org.id, name: 'Outlet 1', province: 'GD', city: '广州' }).returning('id').executeTakeFirstOrThrow();
  const id = crypto.randomUUID();
  const blob = new Uint8Array(32);
  await db.insertInto('employees').values({
    id, outlet_id: outlet.id, login_lookup: crypto.getRandomValues(new Uint8Array(32)), login_lookup_version: 2, password_hash: 'x', kek_salt: blob,
    public_key: publicKey, wrapped_private_key: blob, identity_sealed: blob,
  }).execute();
  return id;
}

async function grantsOf(reportId: string) {
  return t.database.db.selectFrom('report_key_grants').selectAll().where('report_id', '=', reportId).execute();
}

describe('submitReport', () => {
  it('seals the payload under K, readable by reviewers and by the reporter through the receipt', async () => {
    const { reportId, caseNumber, receipt } = await submitTestReport(t, { description: 'sealed description text' });
    expect(caseNumber).toMatch(/^PG-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(receipt).toMatch(/^\d{16}$/);
    const row = await t.database.db.selectFrom('reports').selectAll().where('id', '=', reportId).executeTakeFirstOrThrow();
    expect(Buffer.from(row.payload_sealed).toString('latin1')).not.toContain('sealed description');
    expect(row).toMatchObject({ channel: 'public', status: 'new', severity: 'normal', province: 'GD', identity_present: false, consent_level: 'none' });

    const k = await openReportKey(t.database.db, reportId, 'report', asStaff(reviewer));
    const payload = openJson<ReportPayload>(k!, 'payload', reportId, new Uint8Array(row.payload_sealed), payloadBinding(row));
    expect(payload).toMatchObject({ version: 1, description: 'sealed description text', categories: ['spy_equipment'], attachments: [] });

    const me = await reporterKeyPair(receipt!, reportId);
    const kReporter = await openReportKey(t.database.db, reportId, 'report', { kind: 'reporter', ...me });
    expect(Buffer.from(kReporter!).equals(Buffer.from(k!))).toBe(true);
  });

  it('grants K and KN to active reviewers and escrow, KI only to custodians and the reporter', async () => {
    const identity: IdentityRecord = { name: '张三', phone: '13800138000', consent: 'confidential' };
    const { reportId, receipt } = await submitTestReport(t, { identity });
    const grants = await grantsOf(reportId);
    const who = (kind: string) => grants.filter((g) => g.key_kind === kind).map((g) => g.recipient_kind === 'staff' ? g.recipient_id : g.recipient_kind).sort();
    expect(who('report')).toEqual([reviewer.id, custodian.id, 'escrow', 'reporter'].sort());
    expect(who('notes')).toEqual([reviewer.id, custodian.id, 'escrow'].sort());
    expect(who('identity')).toEqual([custodian.id, 'reporter'].sort());
    expect(grants.some((g) => g.recipient_id === pending.id)).toBe(false);

    expect(await openReportKey(t.database.db, reportId, 'identity', asStaff(reviewer))).toBeNull();
    const ki = await openReportKey(t.database.db, reportId, 'identity', asStaff(custodian));
    const row = await t.database.db.selectFrom('reports').selectAll().where('id', '=', reportId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ identity_present: true, consent_level: 'confidential' });
    expect(openJson<IdentityRecord>(ki!, 'identity', reportId, new Uint8Array(row.identity_sealed!))).toEqual(identity);

    const escrowGrant = grants.find((g) => g.key_kind === 'report' && g.recipient_kind === 'escrow')!;
    const kEscrow = openSealedKey(new Uint8Array(escrowGrant.sealed_key), escrow);
    expect(kEscrow).toHaveLength(32);

    const me = await reporterKeyPair(receipt!, reportId);
    expect(await openReportKey(t.database.db, reportId, 'identity', { kind: 'reporter', ...me })).not.toBeNull();
    expect(await openReportKey(t.database.db, reportId, 'notes', { kind: 'reporter', ...me })).toBeNull();
  });

  it('lets a custodian re-seal KI to a reviewer from an unlocked session, and nobody else', async () => {
    const { reportId } = await submitTestReport(t, { identity: { name: '李四', consent: 'share_with_authorities' } });
    expect(await grantKeyTo(t.database.db, reportId, 'identity', custodian.id, custodian.publicKey, asStaff(reviewer))).toBe(false);
    expect(await grantKeyTo(t.database.db, reportId, 'identity', reviewer.id, reviewer.publicKey, asStaff(custodian))).toBe(true);
    const ki = await openReportKey(t.database.db, reportId, 'identity', asStaff(reviewer));
    expect(ki).toEqual(await openReportKey(t.database.db, reportId, 'identity', asStaff(custodian)));
    const grant = (await grantsOf(reportId)).find((g) => g.key_kind === 'identity' && g.recipient_id === reviewer.id);
    expect(grant?.granted_by).toBe(custodian.id);
  });

  it('performs exactly one argon2id derivation per public submission and none for employees', async () => {
    class CountingKdf extends Kdf {
      calls = 0;
      protected override runArgon2<T>(compute: () => Promise<T>): Promise<T> {
        this.calls++;
        return compute();
      }
    }
    const kdf = new CountingKdf(t.config.argon2);
    const ctx: AppContext = { ...t.ctx, kdf };
    await submitReport(ctx, null, testReportInput());
    expect(kdf.calls).toBe(1);
    const employee = generateBoxKeyPair();
    const employeeId = await insertEmployee(employee.publicKey);
    const tipTag = randomBytes(32);
    const result = await submitReport(ctx, null, testReportInput({ reporter: { kind: 'employee', publicKey: employee.publicKey, tipTag } }));
    expect(kdf.calls).toBe(1);
    expect(result.receipt).toBeNull();
    const row = await t.database.db.selectFrom('reports').selectAll().where('id', '=', result.reportId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ channel: 'employee', receipt_lookup_hash: null, reporter_wrapped_private_key: null });
    expect(Buffer.from(row.employee_tip_tag!)).toEqual(Buffer.from(tipTag));
    expect(JSON.stringify(row)).not.toContain(employeeId);
    expect(await openReportKey(t.database.db, result.reportId, 'report', { kind: 'reporter', ...employee })).not.toBeNull();
  });

  it('sets severity and SLA dates from immediate danger', async () => {
    const before = Date.now();
    const critical = await submitTestReport(t, { immediateDanger: true, categories: ['explosives'] });
    const normal = await submitTestReport(t);
    const rows = await t.database.db.selectFrom('reports').selectAll().where('id', 'in', [critical.reportId, normal.reportId]).execute();
    const c = rows.find((r) => r.id === critical.reportId)!;
    const n = rows.find((r) => r.id === normal.reportId)!;
    expect(c.severity).toBe('critical');
    expect(c.immediate_danger).toBe(true);
    expect(new Date(c.triage_due_at).getTime() - before).toBeGreaterThan(59 * 60_000);
    expect(new Date(c.triage_due_at).getTime() - before).toBeLessThan(61 * 60_000);
    expect(n.severity).toBe('normal');
    expect(new Date(n.triage_due_at).getTime() - before).toBeGreaterThan(23.9 * 3_600_000);
    expect(new Date(n.feedback_due_at).getTime() - before).toBeGreaterThan(29.9 * 86_400_000);
  });

  it('writes an automatic acknowledgement and one audit event without content', async () => {
    const { reportId } = await submitTestReport(t, { categories: ['drugs', 'tobacco'] });
    const k = await openReportKey(t.database.db, reportId, 'report', asStaff(reviewer));
    const thread = await listMessages(t.database.db, reportId, k!);
    expect(thread).toHaveLength(1);
    expect(thread[0]).toMatchObject({ authorKind: 'system', systemCode: 'ack', body: null });
    const audit = await t.database.db.selectFrom('audit_log').selectAll().where('case_id', '=', reportId).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ event: 'report.submitted', actor_kind: 'reporter', actor_id: null });
    expect(audit[0]!.details).toEqual({ channel: 'public', categories: 2 });
  });

  it('links reports that share a waybill or a phone number, however they were typed', async () => {
    const first = await submitTestReport(t, { parcel: { waybillNumbers: ['SF 1234-5678-9012'], sender: { phone: '+86 139 0000 1111' } } });
    const second = await submitTestReport(t, { parcel: { waybillNumbers: ['ｓｆ１２３４５６７８９０１２'] } });
    const third = await submitTestReport(t, { parcel: { waybillNumbers: [], recipient: { phone: '13900001111' } } });
    const links = await t.database.db.selectFrom('report_links').selectAll().where((eb) => eb.or([eb('report_a', '=', first.reportId), eb('report_b', '=', first.reportId)])).execute();
    const reasons = Object.fromEntries(links.map((l) => [l.report_a === first.reportId ? l.report_b : l.report_a, l.reason]));
    expect(reasons).toEqual({ [second.reportId]: 'waybill', [third.reportId]: 'phone' });
    expect(links.every((l) => l.report_a < l.report_b)).toBe(true);
    const counts = await t.database.db.selectFrom('reports').select(['id', 'link_count']).where('id', 'in', [first.reportId, second.reportId, third.reportId]).execute();
    expect(Object.fromEntries(counts.map((c) => [c.id, c.link_count]))).toEqual({ [first.reportId]: 2, [second.reportId]: 1, [third.reportId]: 1 });
    const digests = await t.database.db.selectFrom('report_blind_indexes').selectAll().where('report_id', '=', first.reportId).execute();
    expect(digests.map((d) => d.kind).sort()).toEqual(['phone', 'waybill']);
  });
});

describe('case numbers', () => {
  it('draws another number when the first one is taken, rather than failing the report', async () => {
    const { reportId, caseNumber } = await submitTestReport(t);
    const { id: _id, case_number: _n, receipt_lookup_hash: _h, created_at: _c, next_due_at: _d, severity_weight: _w, ...row } = await t.database.db.selectFrom('reports').selectAll().where('id', '=', reportId).executeTakeFirstOrThrow();
    const draws = [caseNumber, caseNumber, 'PG-FRSH-0001'];
    const used = await t.database.db.transaction().execute((trx) => insertReport(trx, { ...row, id: randomUUID(), receipt_lookup_hash: null }, () => draws.shift()!));
    expect(used).toBe('PG-FRSH-0001');
    expect(draws).toEqual([]);
    await expect(t.database.db.transaction().execute((trx) => insertReport(trx, { ...row, id: randomUUID(), receipt_lookup_hash: null }, () => caseNumber))).rejects.toThrow(/no free case number/);
  });
});

describe('automatic links under concurrency', () => {
  it('links every pair of reports naming the same waybill, even when they are submitted at the same moment', async () => {
    const waybill = `ZT${Date.now()}`;
    const reports = await Promise.all(Array.from({ length: 4 }, () => submitTestReport(t, { parcel: { waybillNumbers: [waybill] } })));
    const ids = reports.map((r) => r.reportId);
    const links = await t.database.db.selectFrom('report_links').select(['report_a', 'report_b']).where('report_a', 'in', ids).where('report_b', 'in', ids).execute();
    expect(links).toHaveLength(6); // every pair of four
    const counts = await t.database.db.selectFrom('reports').select('link_count').where('id', 'in', ids).execute();
    expect(counts.map((c) => c.link_count)).toEqual([3, 3, 3, 3]);
  });
});

describe('messages', () => {
  it('seal bodies under K, bound to their message id, and come back in order', async () => {
    const { reportId } = await submitTestReport(t);
    const k = (await openReportKey(t.database.db, reportId, 'report', asStaff(reviewer)))!;
    await t.database.db.transaction().execute(async (trx) => {
      await appendMessage(trx, { reportId, authorKind: 'staff', authorId: reviewer.id, body: '请补充快递单照片' }, k);
      await appendMessage(trx, { reportId, authorKind: 'reporter', body: '好的，稍后上传' }, k);
    });
    const thread = await listMessages(t.database.db, reportId, k);
    expect(thread.map((m) => [m.authorKind, m.systemCode ?? m.body])).toEqual([
      ['system', 'ack'],
      ['staff', '请补充快递单照片'],
      ['reporter', '好的，稍后上传'],
    ]);
    const rows = await t.database.db.selectFrom('messages').selectAll().where('report_id', '=', reportId).execute();
    expect(rows.every((r) => !Buffer.from(r.body_sealed ?? []).toString('utf8').includes('快递单'))).toBe(true);
    await expect(appendMessage(t.database.db, { reportId, authorKind: 'system' }, k)).rejects.toThrow(TypeError);
  });
});
