import { expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { nextTotpCode } from '../../helpers/staff.js';
import { createStaffAccount } from '../../../server/core/accounts/service.js';
import type { RunningApp } from './app-server.js';
import type { BrowserSession } from './session.js';
import { zh } from './text.js';

/** `fingerprint`: the key fingerprint a reviewer reads out to a custodian (absent for admins). */
export type BrowserStaff = { username: string; password: string; totpSecret: string; recoveryKey: string; fingerprint?: string };

/** What an operator does once with the CLI: create the first account and hand over its link. */
export async function operatorCreatesStaff(app: RunningApp, opts: { username: string; role: 'admin' | 'reviewer' | 'analyst'; custodian?: boolean }): Promise<string> {
  const deps = { db: app.ctx.database.db, kdf: app.ctx.kdf, config: app.ctx.config };
  const link = await createStaffAccount(deps, { username: opts.username, role: opts.role, isCustodian: opts.custodian ?? false }, { kind: 'cli' });
  if (link === 'taken') throw new Error(`username ${opts.username} taken`);
  return app.url(new URL(link.url, app.baseUrl).pathname);
}

/** A TOTP code for a step this account has not used yet, as the authenticator app shows it. */
export function codeFor(staff: Pick<BrowserStaff, 'username' | 'totpSecret'>): Promise<string> {
  return nextTotpCode({ id: staff.username, totpSecret: staff.totpSecret });
}

/**
 * Enrolment as a new staff member does it: open the link, choose a password, copy the recovery
 * key off the screen, tick that it is stored, type the TOTP secret into an authenticator (here:
 * otpauth) and confirm with a code. Each step's page is checked with axe.
 */
export async function enrolInBrowser(s: BrowserSession, link: string, username: string, shots = false): Promise<BrowserStaff> {
  const page = s.page;
  const password = `lantern harbour ${randomBytes(6).toString('hex')} pebble`;
  await s.goto(link);
  await s.check('staff enrolment: password', { status: 200, screenshot: shots ? 'staff-enrol-password' : undefined });
  expect(await page.getByLabel(zh('staff.fields.username'), { exact: true }).inputValue()).toBe(username);
  await page.getByLabel(zh('staff.fields.newPassword'), { exact: true }).fill(password);
  await page.getByLabel(zh('staff.fields.newPasswordConfirm'), { exact: true }).fill(password);
  await s.navigate(() => page.getByRole('button', { name: zh('common.actions.continue') }).click());
  await s.check('staff enrolment: recovery key', { status: 200, screenshot: shots ? 'staff-enrol-recovery' : undefined });

  const recoveryKey = (await page.locator('#recovery-key').textContent())?.trim() ?? '';
  expect(recoveryKey.replace(/[^A-Za-z0-9]/g, '').length).toBeGreaterThanOrEqual(40);
  await page.getByLabel(zh('staff.enrol.recoveryConfirm'), { exact: true }).check();
  await s.navigate(() => page.getByRole('button', { name: zh('common.actions.continue') }).click());
  await s.check('staff enrolment: authenticator', { status: 200, screenshot: shots ? 'staff-enrol-totp' : undefined });

  expect(await page.locator('svg').count()).toBeGreaterThan(0); // the QR code, inline SVG
  const totpSecret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
  expect(totpSecret).toMatch(/^[A-Z2-7]{16,}$/);
  const staff = { username, password, totpSecret, recoveryKey };
  await page.getByLabel(zh('staff.fields.code'), { exact: true }).fill(await codeFor(staff));
  await s.navigate(() => page.getByRole('button', { name: zh('staff.enrol.totpSubmit') }).click());
  await s.check('staff enrolment complete', { status: 200, screenshot: shots ? 'staff-enrol-done' : undefined });
  expect(new URL(page.url()).pathname).toBe('/staff/enrol/done');
  const shown = page.locator('#key-fingerprint');
  if ((await shown.count()) === 0) return staff;
  return { ...staff, fingerprint: ((await shown.textContent()) ?? '').trim() };
}

export async function loginInBrowser(s: BrowserSession, app: RunningApp, staff: BrowserStaff, shots = false): Promise<void> {
  const page = s.page;
  await s.goto(app.url('/staff/login'));
  await s.check('staff sign-in', { status: 200, screenshot: shots ? 'staff-login' : undefined });
  await page.getByLabel(zh('staff.fields.username'), { exact: true }).fill(staff.username);
  await page.getByLabel(zh('staff.fields.password'), { exact: true }).fill(staff.password);
  await page.getByLabel(zh('staff.fields.code'), { exact: true }).fill(await codeFor(staff));
  await s.navigate(() => page.getByRole('button', { name: zh('staff.login.submit') }).click());
  await s.check('staff home after sign-in');
  expect(new URL(page.url()).pathname).toBe('/staff');
}

export async function logoutInBrowser(s: BrowserSession): Promise<void> {
  await s.navigate(() => s.page.getByRole('button', { name: zh('common.actions.logout') }).click());
  await s.check('signed out');
}
