import { Secret, TOTP } from 'otpauth';
import type { AppContext } from '../context.js';
import { randomBytes } from '../crypto/index.js';
import { createStaffAccount } from '../accounts/service.js';
import { chooseEnrolmentPassword, confirmRecoveryKeyStored, confirmTotpEnrolment, loadEnrolment, revealRecoveryKey } from '../accounts/enrolment.js';
import { openTotpSecret, unlockStaff } from '../accounts/staff-keys.js';
import { findStaffById } from '../accounts/repository.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import { destroySession, loadSession } from '../sessions/store.js';
import { createInvite, createOrganisation, createOutlet } from '../organisations/service.js';
import { COMPANIES, MESSAGES, NOTES, person, pick, rng, stagedPhoto, tipInput } from './sample-data.js';
import { joinEmployee } from '../employees/service.js';
import { normaliseInviteCode } from '../organisations/invite-code.js';
import { findOwnTips, newTipKeys, tipSecretOf } from '../employees/tip-index.js';
import { submitReport, type SubmitReportInput } from '../reports/service.js';
import { acknowledgeCase, addNote, changeStatus, requestInformation, sendMessage, setSeverity } from '../cases/triage.js';
import { createReferral } from '../referral/service.js';
import { requestIdentityAccess } from '../custody/service.js';
import { REFERRAL_CHANNELS } from '../referral/schema.js';
import { REPORT_OUTCOMES, SEVERITIES } from '../reports/lifecycle.js';

/**
 * `npm run demo`: a portal filled with realistic (invented) zh-CN data, made through the real
 * domain services, so every report is sealed, granted, indexed and audited exactly as in
 * production. Never run against an installation with real data: seedDemo refuses unless the
 * database is empty or already marked as a demo.
 */

export const DEMO_MARKER_KEY = 'demo.installation';

export class NotADemoDatabaseError extends Error {
  override name = 'NotADemoDatabaseError';
  constructor() {
    super('this database holds data that is not from the demo (staff accounts or reports without the demo marker); the demo refuses to touch it. Point DEMO_DATA_DIR at an empty directory.');
  }
}

export type DemoAccount = { readonly role: string; readonly username: string; readonly password: string; readonly totp: string };

export type DemoResult = { readonly accounts: DemoAccount[]; readonly tips: number; readonly alreadySeeded: boolean };

/** The line printed for each demo account. */
export function demoAccountLine(a: DemoAccount): string {
  return `demo ${a.role}: username=${a.username} password=${a.password} totp=${a.totp}`;
}

/** True when the database is marked as a demo; throws NotADemoDatabaseError when it holds other data. */
export async function checkDemoDatabase(ctx: AppContext): Promise<{ seeded: boolean; accounts: DemoAccount[] }> {
  const db = ctx.database.db;
  const marker = await db.selectFrom('settings').select('value').where('key', '=', DEMO_MARKER_KEY).executeTakeFirst();
  if (marker) {
    const value = marker.value as { accounts?: DemoAccount[] };
    return { seeded: true, accounts: value.accounts ?? [] };
  }
  const staff = await db.selectFrom('staff').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const reports = await db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  if (Number(staff.n) > 0 || Number(reports.n) > 0) throw new NotADemoDatabaseError();
  return { seeded: false, accounts: [] };
}

// --------------------------------------------------------------------------------------- accounts

type DemoStaff = DemoAccount & { principal: StaffPrincipal };

function demoPassword(): string {
  return `demo-${Buffer.from(randomBytes(9)).toString('base64url')}`;
}

/** A staff account enrolled through the real enrolment steps (password, recovery key, TOTP). */
async function enrolDemoStaff(ctx: AppContext, username: string, role: 'admin' | 'reviewer', isCustodian: boolean, label: string): Promise<DemoStaff> {
  const deps = { db: ctx.database.db, kdf: ctx.kdf, config: ctx.config };
  const password = demoPassword();
  const link = await createStaffAccount(deps, { username, role, isCustodian }, { kind: 'cli' });
  if (link === 'taken') throw new Error(`demo account ${username} exists`);
  const cookie = await chooseEnrolmentPassword(deps, link.url.split('/').pop()!, password);
  if (!cookie) throw new Error('demo enrolment refused');
  const atRecovery = (await loadEnrolment(deps, cookie))!;
  revealRecoveryKey(atRecovery);
  await confirmRecoveryKeyStored(deps, atRecovery);
  const atTotp = (await loadEnrolment(deps, cookie))!;
  const secret = new Secret({ buffer: Uint8Array.from(openTotpSecret(atTotp.row, atTotp.keys)!).buffer });
  // A step in the past: the first real sign-in (now) is then never refused as a replay.
  const code = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret }).generate({ timestamp: Date.now() - 30_000 });
  const session = await confirmTotpEnrolment(deps, atTotp, cookie, code);
  if (!session) throw new Error('demo TOTP confirmation refused');
  await destroySession(deps.db, session);
  const unlocked = await unlockStaff(ctx.kdf, await findStaffById(deps.db, atTotp.row.id), password);
  if (!unlocked) throw new Error('demo account does not unlock');
  const principal: StaffPrincipal = { id: atTotp.row.id, username, role, isCustodian, publicKey: unlocked.keys.publicKey, privateKey: unlocked.keys.privateKey };
  return { role: label, username, password, totp: secret.base32, principal };
}

type DemoEmployee = { id: string; outletId: string; privateKey: Uint8Array; company: string; outlet: string };

async function demoOrganisations(ctx: AppContext, employeesPerOutlet: number): Promise<DemoEmployee[]> {
  const db = ctx.database.db;
  const employees: DemoEmployee[] = [];
  let n = 0;
  for (const company of COMPANIES) {
    const org = await createOrganisation(db, { kind: 'cli' }, company.name);
    for (const [name, province, city] of company.outlets) {
      const outlet = await createOutlet(db, { kind: 'cli' }, { organisationId: org.id, name, province, city });
      const invite = await createInvite(db, { kind: 'cli' }, { outletId: outlet.id, days: 30, maxUses: 50 });
      for (let i = 0; i < employeesPerOutlet; i++) {
        n += 1;
        const phone = `1390000${String(n).padStart(4, '0')}`;
        const joined = await joinEmployee(
          ctx,
          { inviteCode: normaliseInviteCode(invite.code)!, name: person(n + 100), employeeNumber: `E${String(n).padStart(5, '0')}`, phone, password: `parcel-demo-${n}` },
          { address: `demo-${n}`, network: `demo-${n}` },
        );
        const session = await loadSession(db, 'employee', joined.cookie);
        await destroySession(db, joined.cookie);
        employees.push({ id: joined.employeeId, outletId: outlet.id, privateKey: session!.privateKey!, company: company.name, outlet: `${city} ${name}` });
      }
    }
  }
  return employees;
}

// ----------------------------------------------------------------------------------------- tips

async function employeeTip(ctx: AppContext, employee: DemoEmployee, input: SubmitReportInput) {
  const secret = tipSecretOf(employee.privateKey);
  try {
    const { nextOrdinal } = await findOwnTips(ctx.database.db, secret);
    const { tag, pair } = newTipKeys(secret, nextOrdinal);
    pair.privateKey.fill(0);
    return await submitReport(ctx, null, { ...input, reporter: { kind: 'employee', publicKey: pair.publicKey, tipTag: tag } });
  } finally {
    secret.fill(0);
  }
}

/** Moves one case through part of its life, by a reviewer, through the case services. */
async function workCase(ctx: AppContext, reviewer: StaffPrincipal, caseNumber: string, n: number, r: () => number, hasIdentity: boolean, consent: string | null): Promise<void> {
  const stage = r();
  if (stage < 0.3) return; // stays new
  await acknowledgeCase(ctx, reviewer, caseNumber);
  if (r() < 0.5) await setSeverity(ctx, reviewer, caseNumber, pick(SEVERITIES, n));
  if (r() < 0.6) await addNote(ctx, reviewer, caseNumber, pick(NOTES, n));
  if (stage < 0.45) return;
  await changeStatus(ctx, reviewer, caseNumber, { to: 'in_review' });
  if (r() < 0.5) await sendMessage(ctx, reviewer, caseNumber, pick(MESSAGES, n));
  if (hasIdentity && r() < 0.5) await requestIdentityAccess(ctx, reviewer, caseNumber, '需要联系举报人核实包裹扣留地点。');
  if (stage < 0.6) return;
  if (stage < 0.7) {
    await requestInformation(ctx, reviewer, caseNumber, '请问包裹目前是否仍在网点？能否提供面单照片？');
    return;
  }
  if (stage < 0.85) {
    await createReferral(ctx, reviewer, caseNumber, {
      channel: pick(REFERRAL_CHANNELS, n),
      referredAt: new Date(),
      reference: `演示-${String(n).padStart(5, '0')}`,
      desk: pick(['国家安全机关受理窗口', '市公安局治安支队', '12339 受理中心'], n),
      summary: `举报线索摘要（演示）：${caseNumber}，已核实包裹信息，建议依法处理。`,
      attachments: [],
      identityShared: hasIdentity && consent === 'share_with_authorities' && r() < 0.5,
    });
    return;
  }
  await changeStatus(ctx, reviewer, caseNumber, { to: 'closed', outcome: pick(REPORT_OUTCOMES.filter((o) => o !== 'referred_to_authority' && o !== 'duplicate'), n) });
}

export type SeedOptions = { readonly tips: number; readonly employeesPerOutlet?: number; readonly photoEvery?: number; readonly onProgress?: (done: number) => void };

/**
 * Fills an empty database with the demo. Returns the demo accounts (their passwords exist only in
 * this result and in the demo marker, which is fine for invented accounts and never done for real ones).
 */
export async function seedDemo(ctx: AppContext, opts: SeedOptions): Promise<DemoResult> {
  const state = await checkDemoDatabase(ctx);
  if (state.seeded) return { accounts: state.accounts, tips: 0, alreadySeeded: true };
  const db = ctx.database.db;
  // Claimed first: a half-finished seed is still recognised as a demo, never as real data.
  await db.insertInto('settings').values({ key: DEMO_MARKER_KEY, value: JSON.stringify({ accounts: [] }), updated_at: new Date(), updated_by: null }).execute();

  const admin = await enrolDemoStaff(ctx, 'demo-admin', 'admin', false, 'admin');
  const reviewer = await enrolDemoStaff(ctx, 'demo-reviewer', 'reviewer', false, 'reviewer');
  const second = await enrolDemoStaff(ctx, 'demo-reviewer2', 'reviewer', false, 'reviewer');
  const custodian = await enrolDemoStaff(ctx, 'demo-custodian', 'reviewer', true, 'custodian');
  const accounts = [admin, reviewer, second, custodian].map(({ role, username, password, totp }) => ({ role, username, password, totp }));
  await db.updateTable('settings').set({ value: JSON.stringify({ accounts }) }).where('key', '=', DEMO_MARKER_KEY).execute();
  await db
    .insertInto('settings')
    .values({ key: 'organisation.name', value: JSON.stringify('寄递安全联合举报中心（演示）'), updated_at: new Date(), updated_by: null })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();

  const employees = await demoOrganisations(ctx, opts.employeesPerOutlet ?? 3);
  const r = rng(20261202);
  const photoEvery = opts.photoEvery ?? 12;
  const reviewers = [reviewer.principal, second.principal];
  for (let n = 1; n <= opts.tips; n++) {
    const photo = n % photoEvery === 0 ? await stagedPhoto(ctx, n) : null;
    const input = tipInput(n, r, photo);
    const byEmployee = n % 4 === 0 && employees.length > 0;
    const submitted = byEmployee ? await employeeTip(ctx, pick(employees, n), { ...input, identity: null }) : await submitReport(ctx, null, input);
    await workCase(ctx, pick(reviewers, n), submitted.caseNumber, n, r, !byEmployee && input.identity !== null, input.identity?.consent ?? null);
    opts.onProgress?.(n);
  }
  for (const e of employees) e.privateKey.fill(0);
  return { accounts, tips: opts.tips, alreadySeeded: false };
}
