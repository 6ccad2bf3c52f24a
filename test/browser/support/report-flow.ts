import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { expect } from 'vitest';
import type { BrowserSession } from './session.js';
import { button, field } from './forms.js';
import { zh } from './text.js';

/** A small JPEG as a phone camera would produce it, with a camera model in its EXIF. */
export async function photoFile(name = '包裹照片.jpg'): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'parcelguard-photo-'));
  const file = path.join(dir, name);
  const jpeg = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 180, g: 120, b: 60 } } })
    .jpeg({ quality: 80 })
    .withExif({ IFD0: { Make: 'PhoneMaker', Model: 'Pocket 12' } })
    .toBuffer();
  writeFileSync(file, jpeg);
  return file;
}

export type ReportEntry = {
  category: string;
  description: string;
  waybill?: string;
  senderPhone?: string;
  province?: string;
  photo?: string;
  identity?: { choice: 'confidential' | 'share'; name: string; phone?: string };
};

/** Fills the report form as a person would: by the labels they read. */
export async function fillReport(s: BrowserSession, entry: ReportEntry): Promise<void> {
  const page = s.page;
  await page.getByRole('checkbox', { name: new RegExp(`^${zh(`taxonomy.${entry.category}.name`)}`) }).check();
  await field(page, 'intake.description.label').fill(entry.description);
  if (entry.waybill) await field(page, 'intake.fields.waybillNumbers').fill(entry.waybill);
  if (entry.province) await field(page, 'intake.fields.province').selectOption({ label: zh(`intake.provinces.${entry.province}`) });
  await field(page, 'intake.fields.direction').selectOption({ label: zh('intake.direction.outbound_international') });
  await field(page, 'intake.fields.noticedHow').selectOption({ label: zh('intake.noticedHow.acceptance_inspection') });
  if (entry.senderPhone) {
    const sender = page.getByRole('group', { name: zh('intake.fields.sender') });
    await field(sender, 'intake.fields.phone').fill(entry.senderPhone);
  }
  if (entry.photo) await field(page, 'intake.files.label').setInputFiles(entry.photo);
  if (entry.identity) {
    const identity = page.getByRole('group', { name: zh('intake.identity.legend'), exact: true });
    await identity.getByRole('radio', { name: new RegExp(`^${zh(`intake.identity.${entry.identity.choice}`)}`) }).check();
    await field(identity, 'intake.identity.name').fill(entry.identity.name);
    if (entry.identity.phone) await field(identity, 'intake.identity.phone').fill(entry.identity.phone);
  }
}

/** Review step, then send; returns the 16-digit receipt read off the receipt page. */
export async function reviewAndSend(s: BrowserSession, opts: { shots?: boolean } = {}): Promise<string> {
  const page = s.page;
  await s.navigate(() => button(page, 'intake.actions.review').click());
  await s.check('report: review', { status: 200, screenshot: opts.shots ? 'report-review' : undefined });
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(zh('intake.review.title'));
  await s.navigate(() => button(page, 'intake.actions.send').click());
  await s.check('report: receipt', { status: 200, screenshot: opts.shots ? 'report-receipt' : undefined });
  const receipt = ((await page.locator('.receipt').textContent()) ?? '').replace(/\D/g, '');
  expect(receipt).toMatch(/^\d{16}$/);
  return receipt;
}

export async function followupLogin(s: BrowserSession, receipt: string): Promise<void> {
  const page = s.page;
  await field(page, 'followup.login.label').fill(receipt.replace(/(\d{4})(?=\d)/g, '$1 '));
  await s.navigate(() => button(page, 'followup.login.submit').click());
  await s.check('follow-up: status', { status: 200 });
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(zh('followup.status.title'));
}
