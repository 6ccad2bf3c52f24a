import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createEmployee } from '../helpers/employees.js';
import { createTestReviewer, decodeEntities, postReportForm, receiptFrom, setTestEscrow } from '../helpers/reports.js';

/**
 * A report nobody could ever read (no active reviewer to seal it to, no escrow key to recover it
 * with) is refused with the form kept, instead of handing out a receipt for a tip sealed to no one.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const reportCount = async () => Number((await t.database.db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
const description = '快递站收到一箱标注“矿样”的包裹，寄件人拒绝开箱验视。';
const textarea = (html: string) => decodeEntities(/<textarea[^>]*name="description"[^>]*>([\s\S]*?)<\/textarea>/.exec(html)?.[1] ?? '');

async function send(agent = request.agent(t.publicApp)) {
  const form = await agent.get('/report');
  return postReportForm(agent, '/report', csrfTokenFrom(form.text), { categories: 'strategic_minerals', description, identity_choice: 'anonymous', action: 'send' });
}

describe('a portal nobody can read yet', () => {
  it('refuses the public report with the text kept, and says why and whom to call', async () => {
    const res = await send();
    expect(res.status).toBe(503);
    expect(res.text).toContain('本平台暂时无法接收线索');
    expect(res.text).toContain('12339');
    expect(textarea(res.text)).toBe(description);
    expect(receiptFrom(res.text)).toBeNull();
    expect(await reportCount()).toBe(0);
  });

  it('refuses the employee tip the same way', async () => {
    const employee = await createEmployee(t);
    const form = await employee.agent.get('/employee/report');
    const res = await postReportForm(employee.agent, '/employee/report', csrfTokenFrom(form.text), {
      categories: 'firearms', description, identity_choice: 'confidential', action: 'send',
    });
    expect(res.status).toBe(503);
    expect(res.text).toContain('本平台暂时无法接收线索');
    expect(textarea(res.text)).toBe(description);
    expect(await reportCount()).toBe(0);
  });

  it('accepts once an escrow key exists (recoverable), and once a reviewer is enrolled', async () => {
    await setTestEscrow(t);
    expect(receiptFrom((await send()).text)).toMatch(/^\d{16}$/);
    await t.database.db.updateTable('installation').set({ escrow_public_key: null, escrow_created_at: null }).execute();
    expect((await send()).status).toBe(503);
    await createTestReviewer(t);
    expect(receiptFrom((await send()).text)).toMatch(/^\d{16}$/);
    expect(await reportCount()).toBe(2);
  });
});
