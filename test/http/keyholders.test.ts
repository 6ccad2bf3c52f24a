import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { Secret, TOTP } from 'otpauth';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createEmployee } from '../helpers/employees.js';
import { fileReport, post, signedIn, type Actor } from './case-fixtures.js';
import { verifyAuditChain } from '../../server/core/audit/verify.js';

/**
 * Key-holder governance. An admin creates a reviewer-custodian in the web admin
 * and enrols it through the link they were shown: that account must receive no key of any kind
 * until another custodian approves it after typing the fingerprint the new person reads out.
 */

let t: TestApp;
let admin: Actor;
let custodian: Actor;
let colleague: Actor;

beforeAll(async () => {
  t = await createTestApp();
  admin = await signedIn(t, { role: 'admin' });
  custodian = await signedIn(t, { custodian: true });
  colleague = await signedIn(t);
}, 120_000);
afterAll(async () => {
  await t.close();
});

const PASSWORD = 'amber quarry lantern pebble';

/** The admin creates an account in the web admin and enrols it themselves through the link shown. */
async function adminCreatesAndEnrols(username: string, custodianFlag: boolean): Promise<{ id: string; agent: TestAgent; donePage: string }> {
  const created = await post(admin.agent, '/staff/admin/staff', '/staff/admin/staff', { username, role: 'reviewer', ...(custodianFlag ? { custodian: 'yes' } : {}) });
  expect(created.status).toBe(200);
  expect(created.text).toContain('id="approval-advice"');
  const url = /id="enrol-url"[^>]*value="([^"]+)"/.exec(created.text)![1]!;
  const agent = request.agent(t.staffApp);
  const form = await agent.get(new URL(url).pathname);
  await agent.post(new URL(url).pathname).type('form').send({ _csrf: csrfTokenFrom(form.text), newPassword: PASSWORD, newPasswordConfirm: PASSWORD });
  const recovery = await agent.get('/staff/enrol/recovery');
  await agent.post('/staff/enrol/recovery').type('form').send({ _csrf: csrfTokenFrom(recovery.text), stored: 'yes' });
  const totp = await agent.get('/staff/enrol/totp');
  const secret = /<code>([A-Z2-7 ]+)<\/code>/.exec(totp.text)![1]!.replace(/\s+/g, '');
  const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate();
  const done = await agent.post('/staff/enrol/totp').type('form').send({ _csrf: csrfTokenFrom(totp.text), code });
  expect(done.headers.location).toBe('/staff/enrol/done');
  const donePage = await agent.get('/staff/enrol/done');
  expect(donePage.status).toBe(200);
  const row = await t.database.db.selectFrom('staff').select(['id', 'status', 'key_approved_at']).where('username', '=', username).executeTakeFirstOrThrow();
  expect(row.status).toBe('active');
  expect(row.key_approved_at).toBeNull();
  return { id: row.id, agent, donePage: donePage.text };
}

const fingerprintOn = (html: string) => /id="key-fingerprint"[^>]*><code>([\d ]+)<\/code>/.exec(html)![1]!;

async function grantsOf(staffId: string, reportId?: string) {
  let query = t.database.db.selectFrom('report_key_grants').select(['report_id', 'key_kind']).where('recipient_kind', '=', 'staff').where('recipient_id', '=', staffId);
  if (reportId) query = query.where('report_id', '=', reportId);
  return (await query.execute()).map((g) => g.key_kind).sort();
}

function auditOf(subjectId: string) {
  return t.database.db.selectFrom('audit_log').select(['event', 'actor_kind', 'actor_id', 'details']).where('subject_id', '=', subjectId).orderBy('seq').execute();
}

const approve = (agent: TestAgent, id: string, fingerprint: string) => post(agent, '/staff/keyholders', `/staff/keyholders/${id}/approve`, { fingerprint });

describe('key-holder approval', () => {
  it('an account the admin made and enrolled receives nothing until a custodian approves its fingerprint', async () => {
    const insider = await adminCreatesAndEnrols('insider.kh', true);
    const fingerprint = fingerprintOn(insider.donePage);
    expect(fingerprint).toMatch(/^\d{5}( \d{5}){5}$/);
    expect(insider.donePage).toContain('注册完成');
    expect((await insider.agent.get('/staff/account')).text).toContain(fingerprint);
    expect((await insider.agent.get('/staff')).text).toContain('您暂时不会收到举报密钥');
    expect((await admin.agent.get('/staff/admin/staff')).text).toContain('保管人批准前不接收密钥');

    // Before approval: no report, notes or identity key; no case; not offered for hand-over or sharing.
    const before = await fileReport(t, { identity: { name: '赵内鬼', consent: 'confidential' } });
    expect(await grantsOf(insider.id)).toEqual([]);
    expect((await insider.agent.get(`/staff/cases/${before.caseNumber}`)).status).toBe(404);
    expect((await custodian.agent.get('/staff/custody/handover')).text).not.toContain('insider.kh');
    const employee = await createEmployee(t, { name: '钱员工', employeeNumber: 'KH-1' });
    const employeeGrants = await t.database.db.selectFrom('employee_key_grants').select('recipient_id').where('employee_id', '=', employee.id).execute();
    expect(employeeGrants.map((g) => g.recipient_id)).not.toContain(insider.id);

    // The custodian is told someone waits; a wrong fingerprint is refused, kept, and audited.
    expect((await custodian.agent.get('/staff')).text).toContain('id="keyholder-notice"');
    const list = await custodian.agent.get('/staff/keyholders');
    expect(list.text).toMatch(new RegExp(`action="/staff/keyholders/${insider.id}/approve"[^>]*>\\s*<input type="hidden" name="_csrf" value="[^"]+"`));
    const wrong = await approve(custodian.agent, insider.id, '12345 12345 12345 12345 12345 12345');
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('该指纹与此账户的密钥不符');
    expect(wrong.text).toContain('value="12345 12345 12345 12345 12345 12345"');
    const malformed = await approve(custodian.agent, insider.id, '123');
    expect(malformed.status).toBe(400);
    expect((await auditOf(insider.id)).map((a) => a.event)).toContain('keyholder.fingerprint_mismatch');

    // The new account cannot approve itself, and the admin who made it cannot approve it.
    const self = await approve(insider.agent, insider.id, fingerprint);
    expect(self.status).toBe(409);
    expect(self.text).toContain('您不能批准自己');
    expect((await approve(admin.agent, insider.id, fingerprint)).status).toBe(403);
    expect((await auditOf(insider.id)).map((a) => a.event)).not.toContain('keyholder.approved');
    expect((await fileReport(t)).reportId).toBeTruthy();
    expect(await grantsOf(insider.id)).toEqual([]);

    // The custodian types what the person read out: approved, audited, and keys flow from now on.
    const ok = await approve(custodian.agent, insider.id, fingerprint.replace(/ /g, '-'));
    expect(ok.status).toBe(303);
    const approvals = (await auditOf(insider.id)).filter((a) => a.event === 'keyholder.approved');
    expect(approvals).toEqual([{ event: 'keyholder.approved', actor_kind: 'staff', actor_id: custodian.staff.id, details: { source: 'custodian' } }]);
    const after = await fileReport(t, { identity: { name: '孙证人', consent: 'confidential' } });
    expect(await grantsOf(insider.id, after.reportId)).toEqual(['identity', 'notes', 'report']);
    expect((await insider.agent.get(`/staff/cases/${after.caseNumber}`)).status).toBe(200);
    // Earlier reports stay closed to it: nothing is granted retroactively by approval.
    expect(await grantsOf(insider.id, before.reportId)).toEqual([]);
    expect((await insider.agent.get('/staff/account')).text).toContain('您是密钥持有人');
    expect((await custodian.agent.get('/staff/custody/handover')).text).toContain('insider.kh');
    expect(await verifyAuditChain(t.database.db)).toMatchObject({ ok: true });
  });

  it('every key holder sees each new key holder until they acknowledge it', async () => {
    const newcomer = await adminCreatesAndEnrols('newcomer.kh', false);
    // Waiting accounts are not key holders yet: nobody is notified of them as such.
    const quiet = await colleague.agent.get('/staff/keyholders');
    expect(quiet.text).not.toMatch(/class="row-unseen"[\s\S]*newcomer\.kh/);
    expect((await approve(custodian.agent, newcomer.id, fingerprintOn(newcomer.donePage))).status).toBe(303);

    const queue = await colleague.agent.get('/staff');
    expect(queue.text).toContain('id="keyholder-notice"');
    const list = await colleague.agent.get('/staff/keyholders');
    expect(list.text).toMatch(/<tr class="row-unseen">\s*<th scope="row">newcomer\.kh/);
    const seen = await post(colleague.agent, '/staff/keyholders', '/staff/keyholders/seen');
    expect(seen.status).toBe(303);
    expect((await colleague.agent.get('/staff')).text).not.toContain('id="keyholder-notice"');
    expect((await colleague.agent.get('/staff/keyholders')).text).not.toContain('class="row-unseen"');
    // The English page says the same.
    const english = await colleague.agent.get('/staff/keyholders').set('Accept-Language', 'en');
    expect(english.text).toContain('Current key holders');
  });

  it('a custodian not yet approved cannot approve anyone', async () => {
    const first = await adminCreatesAndEnrols('pending.one', true);
    const second = await adminCreatesAndEnrols('pending.two', false);
    expect((await approve(first.agent, second.id, fingerprintOn(second.donePage))).status).toBe(403);
    const row = await t.database.db.selectFrom('staff').select('key_approved_at').where('id', '=', second.id).executeTakeFirstOrThrow();
    expect(row.key_approved_at).toBeNull();
  });

  it('reviewers the command line creates are approved, and the approval is audited as the CLI', async () => {
    const cliCreated = custodian.staff;
    const audit = await auditOf(cliCreated.id);
    expect(audit.filter((a) => a.event === 'keyholder.approved')).toEqual([{ event: 'keyholder.approved', actor_kind: 'cli', actor_id: null, details: { source: 'cli' } }]);
    const row = await t.database.db.selectFrom('staff').select(['key_approval', 'key_holder_since']).where('id', '=', cliCreated.id).executeTakeFirstOrThrow();
    expect(row.key_approval).toBe('cli');
    expect(row.key_holder_since).not.toBeNull();
    // Administrators never hold keys, so they are never approved.
    expect((await auditOf(admin.staff.id)).map((a) => a.event)).not.toContain('keyholder.approved');
  });
});
