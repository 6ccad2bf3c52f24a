import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type TestAgent from 'supertest/lib/agent.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { postReportForm } from '../helpers/reports.js';
import { createEmployee, createTestOutlet, type TestEmployee } from '../helpers/employees.js';
import { caseAction, signedIn, type Actor } from './case-fixtures.js';

/** An employee's tip shredded under retention: listed as deleted in "My tips", never opened, later tips still found. */

let t: TestApp;
let reviewer: Actor;
let alice: TestEmployee;

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t, { custodian: true });
  const outlet = await createTestOutlet(t);
  alice = await createEmployee(t, { outletId: outlet.id });
});
afterAll(async () => {
  await t.close();
});

const TIP = {
  categories: 'spy_equipment',
  description: '过机时发现申报为“充电宝”的包裹内有镜头模组和天线，寄件人要求不要拆验。',
  immediate_danger: 'no',
  waybill_numbers: 'ZT7712345678',
  noticed_how: 'xray_screening',
  parcel_location: 'held',
  identity_choice: 'confidential',
};

async function fileTip(agent: TestAgent): Promise<string> {
  const form = await agent.get('/employee/report');
  const fresh = Object.fromEntries([...form.text.matchAll(/name="(courier_company|outlet)"[^>]*value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const province = /<select[^>]*name="province"[\s\S]*?<option value="([A-Z]{2})" selected>/.exec(form.text)?.[1] ?? '';
  const res = await postReportForm(agent, '/employee/report', csrfTokenFrom(form.text), { ...fresh, province, ...TIP, action: 'send' });
  expect(res.status).toBe(303);
  return /\/employee\/tips\/(PG-[0-9A-Z]{4}-[0-9A-Z]{4})/.exec(res.headers.location!)![1]!;
}

describe('an employee tip past its retention period', () => {
  it('is marked deleted in My tips, no longer opens, and later tips are still found', async () => {
    const first = await fileTip(alice.agent);
    const second = await fileTip(alice.agent);
    expect((await caseAction(reviewer.agent, first, 'status', { to: 'closed', outcome: 'unfounded' })).status).toBe(303);
    expect((await alice.agent.get(`/employee/tips/${first}`)).status).toBe(200);

    const run = await runCli(t, 'retention:run', '--as-of', new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10));
    expect(run.out).toContain(`shredded ${first} (unfounded)`);
    expect(run.out).not.toContain(second);

    const list = await alice.agent.get('/employee/tips');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(`href="/employee/tips/${first}"`);
    expect(list.text).toMatch(new RegExp(`${first} <span class="badge" data-shredded>`));
    expect(list.text).toContain(`href="/employee/tips/${second}"`);
    expect((await alice.agent.get(`/employee/tips/${first}`)).status).toBe(404);

    // The tombstone keeps its tag, so the next tip takes a new ordinal and all are found.
    const third = await fileTip(alice.agent);
    const after = await alice.agent.get('/employee/tips');
    for (const n of [second, third]) expect(after.text).toContain(`href="/employee/tips/${n}"`);
    expect((await alice.agent.get(`/employee/tips/${third}`)).status).toBe(200);
  });
});
