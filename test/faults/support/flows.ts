/**
 * Every flow of the product, driven over HTTP against a server in another process, the way a
 * browser without JavaScript would: read the form, post it back, follow the redirect. Used by the
 * leak test (canaries in every field), the fault tests and the RSS benchmark.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { nextTotpCode } from '../../helpers/staff.js';
import { decodeHtml, hiddenInputs, WebSession, type Fields, type UploadFile } from './web-session.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const run = promisify(execFile);

/** `npm run cli -- …` against the same DATA_DIR / DATABASE_URL as the server (stopped, for PGlite). */
export async function cli(env: Record<string, string>, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'server/cli/index.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env },
    timeout: 120_000,
  });
  return stdout;
}

function expectStatus(what: string, page: { status: number; text: string }, ...ok: number[]): void {
  if (!ok.includes(page.status)) throw new Error(`${what}: HTTP ${page.status}\n${page.text.slice(0, 800)}`);
}

// ---------------------------------------------------------------------------------------- setup (CLI)

export type Setup = { adminLink: string; reviewerLink: string; custodianLink: string; inviteCode: string };

/** What an operator does once, before the first start: staff accounts and an outlet invite code. */
export async function operatorSetup(env: Record<string, string>, names: { admin: string; reviewer: string; custodian: string }): Promise<Setup> {
  const link = (out: string) => /https?:\/\/\S+\/staff\/enrol\/\S+|\/staff\/enrol\/\S+/.exec(out)?.[0] ?? '';
  const adminLink = link(await cli(env, ['staff:create', '--username', names.admin, '--role', 'admin']));
  const reviewerLink = link(await cli(env, ['staff:create', '--username', names.reviewer, '--role', 'reviewer']));
  const custodianLink = link(await cli(env, ['staff:create', '--username', names.custodian, '--role', 'reviewer', '--custodian']));
  const company = `测试速运${randomBytes(2).toString('hex')}`;
  await cli(env, ['org:create', '--name', company]);
  const outlet = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(
    await cli(env, ['outlet:create', '--org', company, '--name', '测试网点', '--province', 'GD', '--city', '深圳']),
  )?.[1];
  if (!outlet) throw new Error('outlet:create printed no id');
  const inviteCode = /Invite code: (\S+)/.exec(await cli(env, ['invite:create', '--outlet', outlet]))?.[1] ?? '';
  if (!adminLink || !reviewerLink || !custodianLink || !inviteCode) throw new Error('operator setup printed no link or code');
  return { adminLink, reviewerLink, custodianLink, inviteCode };
}

// ---------------------------------------------------------------------------------------- staff

export type StaffAccount = { username: string; password: string; totpSecret: string; recoveryKey: string; session: WebSession };

/** Enrolment from the one-time link: password, recovery key read off the page, TOTP confirmed. */
export async function enrolStaff(base: string, link: string, username: string, password: string): Promise<StaffAccount> {
  const s = new WebSession(base);
  const path = new URL(link, base).pathname;
  expectStatus('enrolment link', await s.get(path), 200);
  expectStatus('choose password', await s.post(path, { username, newPassword: password, newPasswordConfirm: password }), 303);
  const recovery = await s.follow();
  const recoveryKey = decodeHtml(/class="recovery-key"[^>]*>([^<]+)</.exec(recovery.text)?.[1] ?? '').trim();
  expectStatus('recovery stored', await s.post('/staff/enrol/recovery', { stored: 'yes' }), 303);
  const totp = await s.follow();
  const totpSecret = (/id="totp-secret"><code>([^<]+)</.exec(totp.text)?.[1] ?? '').replace(/\s+/g, '');
  const account = { username, password, totpSecret, recoveryKey, session: s };
  expectStatus('TOTP confirmed', await s.post('/staff/enrol/totp', { code: await nextTotpCode({ id: username, totpSecret }) }), 303);
  return account;
}

export async function loginStaff(base: string, account: StaffAccount): Promise<WebSession> {
  const s = new WebSession(base);
  await s.get('/staff/login');
  const res = await s.post('/staff/login', { username: account.username, password: account.password, code: await nextTotpCode({ id: account.username, totpSecret: account.totpSecret }) });
  expectStatus('staff sign-in', res, 303);
  return s;
}

/** Case numbers in the reviewer's queue. */
export async function queueCases(s: WebSession): Promise<string[]> {
  const page = await s.get('/staff?status=open');
  expectStatus('queue', page, 200);
  return [...new Set([...page.text.matchAll(/href="\/staff\/cases\/([A-Za-z0-9-]+)"/g)].map((m) => m[1]!))];
}

/** Every sealed staff action on one case, each carrying text from `text(label)`. */
export async function workCase(reviewer: WebSession, custodian: WebSession, caseNumber: string, text: (label: string) => string): Promise<void> {
  const base = `/staff/cases/${encodeURIComponent(caseNumber)}`;
  const act = async (what: string, p: string, fields: Fields) => {
    await reviewer.get(base);
    expectStatus(what, await reviewer.post(`${base}/${p}`, fields), 303);
  };
  await act('acknowledge', 'acknowledge', {});
  await act('message', 'messages', { body: text('STAFFMSG') });
  await act('question', 'request-info', { question: text('QUESTION') });
  await act('note', 'notes', { body: text('NOTE') });
  await act('reward note', 'reward', { note: text('REWARD') });
  const page = await reviewer.get(base);
  if (page.text.includes(`${base}/identity-requests`)) {
    expectStatus('identity request', await reviewer.post(`${base}/identity-requests`, { reason: text('IDREASON') }), 303);
    const requests = await custodian.get('/staff/identity-requests');
    for (const [, id] of requests.text.matchAll(/action="\/staff\/identity-requests\/([0-9a-f-]{36})\/decision"/g)) {
      expectStatus('custodian decision', await custodian.post(`/staff/identity-requests/${id}/decision`, { decision: 'approve', reason: text('DECISION') }), 303);
    }
    expectStatus('identity shown', await reviewer.get(`${base}/identity`), 200);
  }
  const form = await reviewer.get(`${base}/referrals/new`);
  expectStatus('referral form', form, 200);
  const attachments = [...form.text.matchAll(/name="attachments" value="([^"]+)"/g)].map((m) => m[1]!);
  const referral = await reviewer.post(`${base}/referrals`, {
    channel: 'hotline_12339',
    referredAt: '2026-11-23T10:30',
    reference: text('REFCODE'),
    desk: text('DESK'),
    summary: text('SUMMARY'),
    attachments,
  });
  expectStatus('referral', referral, 303);
  const after = await reviewer.follow(referral);
  const referralId = /\/referrals\/([0-9a-f-]{36})\/sheet/.exec(after.text)?.[1];
  if (!referralId) throw new Error('referral not listed on the case page');
  expectStatus('referral update', await reviewer.post(`${base}/referrals/${referralId}/updates`, { body: text('REFUPDATE') }), 303);
  expectStatus('referral sheet', await reviewer.get(`${base}/referrals/${referralId}/sheet`), 200);
  for (const [, id] of after.text.matchAll(/\/files\/([0-9a-f-]{36})"/g)) {
    expectStatus('attachment download', await reviewer.get(`${base}/files/${id}?download=1`), 200);
  }
}

// ---------------------------------------------------------------------------------------- public reporter

export type ReportInput = { fields: Fields; files?: UploadFile[] };

/** The public form as a browser posts it: review step (files staged), then send. Returns the receipt. */
export async function submitPublicReport(base: string, input: ReportInput, headers: Record<string, string> = {}): Promise<string> {
  const s = new WebSession(base, headers);
  expectStatus('report form', await s.get('/report'), 200);
  const review = await s.postMultipart('/report', { ...input.fields, action: 'review' }, input.files ?? []);
  expectStatus('review step', review, 200);
  if (!review.text.includes('name="action" value="send"')) throw new Error(`review step refused the form:\n${review.text.slice(0, 1500)}`);
  const hidden = hiddenInputs(review.text, '/report').filter(([n]) => n !== '_csrf');
  const fields: Fields = {};
  for (const [name, value] of hidden) fields[name] = [...((fields[name] as string[] | undefined) ?? []), value];
  // The receipt is shown by a GET after the send (303 to /report/receipt), as a browser follows it.
  const sent = await s.follow(await s.postMultipart('/report', { ...fields, action: 'send' }));
  return receiptOf('send', sent);
}

export function receiptOf(what: string, page: { status: number; text: string }): string {
  const groups = [...page.text.matchAll(/<span class="receipt-group">(\d{4})<\/span>/g)].map((m) => m[1]);
  if (page.status !== 200 || groups.length !== 4) throw new Error(`${what}: no receipt (HTTP ${page.status})\n${page.text.slice(0, 800)}`);
  return groups.join('');
}

export async function followupLogin(base: string, receipt: string): Promise<WebSession> {
  const s = new WebSession(base);
  await s.get('/followup');
  expectStatus('follow-up sign-in', await s.post('/followup', { receipt }), 303);
  expectStatus('status page', await s.follow(), 200);
  return s;
}

/** Reply, add a file with a note, and (when given) add identity later. */
export async function followupActions(s: WebSession, input: { reply: string; note: string; file: UploadFile; identity?: Fields }): Promise<void> {
  expectStatus('reply', await s.post('/followup/reply', { body: input.reply }), 303);
  await s.get('/followup');
  expectStatus('add file', await s.postMultipart('/followup/files', { note: input.note }, [input.file]), 303);
  if (input.identity) {
    await s.get('/followup');
    expectStatus('consent', await s.post('/followup/consent', { consent: 'confidential', ...input.identity }), 303);
  }
}

// ---------------------------------------------------------------------------------------- employee

export async function joinEmployee(base: string, person: { inviteCode: string; name: string; employeeNumber: string; phone: string; password: string }): Promise<WebSession> {
  const s = new WebSession(base);
  await s.get('/employee/join');
  const res = await s.post('/employee/join', { ...person, passwordConfirm: person.password });
  expectStatus('employee join', res, 303);
  return s;
}

/** Files a tip from the employee form and replies on it; returns the case number. */
export async function employeeTip(s: WebSession, input: ReportInput & { reply: string }): Promise<string> {
  expectStatus('employee form', await s.get('/employee/report'), 200);
  const res = await s.postMultipart('/employee/report', { identity_choice: 'confidential', ...input.fields, action: 'send' }, input.files ?? []);
  expectStatus('employee tip', res, 303);
  const caseNumber = /\/employee\/tips\/([^/?#]+)/.exec(res.location ?? '')?.[1];
  if (!caseNumber) throw new Error('employee tip: no case number in the redirect');
  await s.get(`/employee/tips/${caseNumber}`);
  expectStatus('employee reply', await s.post(`/employee/tips/${caseNumber}/messages`, { body: input.reply }), 303);
  return decodeURIComponent(caseNumber);
}
