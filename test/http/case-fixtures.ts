import type { StaffRole } from '../../server/core/db/schema.js';
import sharp from 'sharp';
import type TestAgent from 'supertest/lib/agent.js';
import type { Response } from 'supertest';
import type { TestApp } from '../helpers/app.js';
import { createStaff, loginStaff, type TestStaff } from '../helpers/staff.js';
import { submitTestReport } from '../helpers/reports.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { newSymmetricKey } from '../../server/core/crypto/index.js';
import { stageUpload, type StagedFile } from '../../server/core/reports/attachments.js';
import type { SubmitReportInput } from '../../server/core/reports/service.js';

/**
 * Shared set-up for the reviewer-workspace tests: real staff accounts (enrolled through the staff
 * service, signed in over HTTP) and reports filed through the real intake service, so every key
 * grant a test relies on was made by the production code path.
 */

export type Actor = { staff: TestStaff; agent: TestAgent };

export async function signedIn(t: TestApp, opts: { role?: StaffRole; custodian?: boolean } = {}): Promise<Actor> {
  const staff = await createStaff(t, opts);
  return { staff, agent: await loginStaff(t, staff) };
}

async function* bytes(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

/** A file staged exactly as the intake form stages uploads, ready to be filed with a report. */
export async function stagedFile(t: TestApp, name: string, data: Uint8Array, declaredType: string): Promise<StagedFile> {
  const result = await stageUpload(t.database.db, bytes(data), { name, declaredType, maxBytes: 5_000_000, stagingKey: newSymmetricKey(), images: t.ctx.images });
  if (!result.ok) throw new Error(`upload refused: ${result.reason}`);
  return result.file;
}

export async function pngBytes(): Promise<Uint8Array> {
  return new Uint8Array(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c00' } }).png().toBuffer());
}

export async function fileReport(t: TestApp, overrides: Partial<SubmitReportInput> = {}) {
  return submitTestReport(t, overrides);
}

/** GETs `page` for a CSRF token bound to the agent's session, then POSTs `fields` to `action`. */
export async function post(agent: TestAgent, page: string, action: string, fields: Record<string, string | string[]> = {}): Promise<Response> {
  const form = await agent.get(page);
  if (form.status !== 200) throw new Error(`GET ${page} answered ${form.status}`);
  return agent.post(action).type('form').send({ _csrf: csrfTokenFrom(form.text), ...fields });
}

/** POSTs a case action from the case page. */
export async function caseAction(agent: TestAgent, caseNumber: string, action: string, fields: Record<string, string | string[]> = {}): Promise<Response> {
  return post(agent, `/staff/cases/${caseNumber}`, `/staff/cases/${caseNumber}/${action}`, fields);
}

export async function auditEvents(t: TestApp, caseId: string): Promise<{ event: string; actor_id: string | null; subject_id: string | null; details: Record<string, unknown> }[]> {
  return t.database.db.selectFrom('audit_log').select(['event', 'actor_id', 'subject_id', 'details']).where('case_id', '=', caseId).orderBy('seq').execute();
}

/** A reporter signed in at /followup with their receipt, as they would be in their own browser. */
export async function reporterAgent(t: TestApp, receipt: string): Promise<TestAgent> {
  const { default: request } = await import('supertest');
  const agent = request.agent(t.publicApp);
  const res = await post(agent, '/followup', '/followup', { receipt });
  if (res.status !== 303) throw new Error(`follow-up sign-in answered ${res.status}`);
  return agent;
}
