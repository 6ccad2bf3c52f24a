import { randomUUID } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent.js';
import type { TestApp } from './app.js';
import { csrfTokenFrom } from './forms.js';
import { generateBoxKeyPair, type BoxKeyPair } from '../../server/core/crypto/index.js';
import { submitReport, type SubmitReportInput, type SubmittedReport } from '../../server/core/reports/service.js';
import { decodeEntities } from './html.js';

export type TestStaff = BoxKeyPair & { id: string; username: string; isCustodian: boolean };

/**
 * An active reviewer with a fresh key pair, inserted directly (the staff area owns enrolment), and
 * approved as a key holder as the command line would (`approved: false` leaves it waiting).
 * The private key is returned so tests can open grants as that reviewer would from a session.
 */
export async function createTestReviewer(
  t: TestApp,
  opts: { custodian?: boolean; status?: 'active' | 'pending' | 'deactivated'; role?: 'reviewer' | 'admin'; approved?: boolean } = {},
): Promise<TestStaff> {
  const pair = generateBoxKeyPair();
  const id = randomUUID();
  const username = `reviewer-${id.slice(0, 8)}`;
  await t.database.db
    .insertInto('staff')
    .values({
      id,
      username,
      role: opts.role ?? 'reviewer',
      is_custodian: opts.custodian ?? false,
      status: opts.status ?? 'active',
      public_key: pair.publicKey,
      ...(opts.approved === false ? {} : { key_approval: 'cli' as const, key_approved_at: new Date(), key_holder_since: new Date() }),
    })
    .execute();
  return { ...pair, id, username, isCustodian: opts.custodian ?? false };
}

/** Sets (or replaces) the organisation escrow public key; returns the key pair. */
export async function setTestEscrow(t: TestApp): Promise<BoxKeyPair> {
  const pair = generateBoxKeyPair();
  await t.database.db.updateTable('installation').set({ escrow_public_key: pair.publicKey, escrow_created_at: new Date() }).where('id', '=', 1).execute();
  return pair;
}

/** A plausible public tip; every field can be overridden. */
export function testReportInput(overrides: Partial<SubmitReportInput> = {}): SubmitReportInput {
  return {
    reporter: { kind: 'anonymous' },
    categories: ['spy_equipment'],
    description: '收寄时发现包裹内有伪装成充电宝的针孔摄像设备，申报品名为“数码配件”。',
    immediateDanger: false,
    parcel: { waybillNumbers: [], direction: 'outbound_international', noticedHow: 'acceptance_inspection' },
    province: 'GD',
    identity: null,
    attachments: [],
    ...overrides,
  };
}

/**
 * Files a report through the real service (sealing, grants, indexes, audit), exactly as the public
 * form does after validation. Returns the report id, case number and — for the public channel —
 * the receipt.
 */
export async function submitTestReport(t: TestApp, overrides: Partial<SubmitReportInput> = {}): Promise<SubmittedReport> {
  return submitReport(t.ctx, null, testReportInput(overrides));
}

// ---------------------------------------------------------------- HTTP helpers for the public form and follow-up

export type TestFile = { field?: string; name: string; body: Buffer | Uint8Array; type: string };

/**
 * POSTs the report form as a browser does: multipart, `_csrf` first, then the fields in order
 * (arrays become repeated fields), then the files.
 */
export function postReportForm(agent: TestAgent, path: string, token: string, fields: Record<string, string | string[]>, files: TestFile[] = []) {
  let req = agent.post(path).field('_csrf', token);
  for (const [name, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) req = req.field(name, v);
  }
  for (const f of files) req = req.attach(f.field ?? 'files', Buffer.from(f.body), { filename: f.name, contentType: f.type });
  return req;
}

/** The hidden fields of a page's form (e.g. the review step), decoded, in order. */
export function hiddenFields(html: string, action = '/report'): [string, string][] {
  const form = new RegExp(`<form[^>]*action="${action}"[\\s\\S]*?</form>`).exec(html)?.[0] ?? '';
  return [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, decodeEntities(m[2]!)]);
}

export { decodeEntities };

/** The 16 receipt digits shown on the receipt page, or null. */
export function receiptFrom(html: string): string | null {
  const groups = [...html.matchAll(/<span class="receipt-group">(\d{4})<\/span>/g)].map((m) => m[1]);
  return groups.length === 4 ? groups.join('') : null;
}

/**
 * Goes through the whole public form — review step, then send — and returns the receipt and the
 * receipt page. Files are uploaded at the review step and carried over as staged files.
 */
export async function submitThroughForm(agent: TestAgent, fields: Record<string, string | string[]>, files: TestFile[] = []) {
  const form = await agent.get('/report');
  const review = await postReportForm(agent, '/report', csrfTokenFrom(form.text), { ...fields, action: 'review' }, files);
  if (review.status !== 200 || !review.text.includes('name="action" value="send"')) {
    throw new Error(`review step failed with ${review.status}: ${review.text.slice(0, 500)}`);
  }
  const hidden = hiddenFields(review.text).filter(([name]) => name !== '_csrf');
  let send = agent.post('/report').field('_csrf', csrfTokenFrom(review.text));
  for (const [name, value] of hidden) send = send.field(name, value);
  const sent = await send.field('action', 'send');
  const page = await followReceiptRedirect(agent, sent);
  return { page, receipt: receiptFrom(page.text), sent };
}

/**
 * A send carrying the form's one-time token answers 303 to /report/receipt (POST-redirect-GET);
 * this follows it with the same agent, whose cookie carries the sealed receipt. Other answers are
 * returned as they are.
 */
export async function followReceiptRedirect(agent: TestAgent, sent: Awaited<ReturnType<TestAgent['get']>>) {
  if (sent.status !== 303 || sent.headers.location !== '/report/receipt') return sent;
  return agent.get('/report/receipt');
}

/** Signs in at /followup with a receipt; the agent keeps the follow-up cookie. */
export async function followupLogin(agent: TestAgent, receipt: string) {
  const page = await agent.get('/followup');
  return agent.post('/followup').type('form').send({ _csrf: csrfTokenFrom(page.text), receipt });
}
