import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createEmployee, createInviteCode, loginEmployee } from '../helpers/employees.js';
import { createTestReviewer, postReportForm } from '../helpers/reports.js';
import { dumpDatabase, findCanaries } from '../helpers/leak-scan.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ LOG_LEVEL: 'trace' });
  await createTestReviewer(t, { custodian: true });
});
afterAll(async () => {
  await t.close();
});

// Distinctive strings that must never be stored or logged in clear.
const CANARY = {
  name: '金丝雀姓名甲乙丙',
  employeeNumber: 'CANARYEMPNO7741',
  phone: '13766027741',
  password: 'canary passphrase rainbow 7741',
  description: 'CANARYDESCRIPTION 金丝雀线索描述 7741',
  waybill: 'CANARYWB77410001',
  senderName: '金丝雀寄件人丁戊',
  senderPhone: '13577417741',
  fileName: 'canary-file-7741.txt',
  fileBody: 'CANARYFILEBYTES 金丝雀文件内容 7741',
  reply: 'CANARYREPLY 金丝雀回复 7741',
  note: 'CANARYNOTE 金丝雀附言 7741',
} as const;

describe('employee leak test', () => {
  it('finds no canary from the join, the tip, the reply or the files in any table or in the logs', async () => {
    const invite = await createInviteCode(t);
    const employee = await createEmployee(t, {
      code: invite.code, outletId: invite.outletId, name: CANARY.name, employeeNumber: CANARY.employeeNumber, phone: CANARY.phone, password: CANARY.password,
    });
    const agent = await loginEmployee(t, employee);
    const form = await agent.get('/employee/report');
    const filed = await postReportForm(agent, '/employee/report', csrfTokenFrom(form.text), {
      categories: 'state_secrets',
      description: CANARY.description,
      immediate_danger: 'no',
      waybill_numbers: CANARY.waybill,
      sender_name: CANARY.senderName,
      sender_phone: CANARY.senderPhone,
      identity_choice: 'share_with_authorities',
      action: 'send',
    }, [{ name: CANARY.fileName, body: Buffer.from(CANARY.fileBody), type: 'text/plain' }]);
    expect(filed.status).toBe(303);
    const tipPath = filed.headers.location!.split('?')[0]!;
    const page = await agent.get(tipPath);
    expect(page.text).toContain(CANARY.description); // the employee can read it back…
    expect((await agent.post(`${tipPath}/messages`).type('form').send({ _csrf: csrfTokenFrom(page.text), body: CANARY.reply })).status).toBe(303);
    const again = await agent.get(tipPath);
    const added = await postReportForm(agent, `${tipPath}/files`, csrfTokenFrom(again.text), { note: CANARY.note }, [
      { name: `second-${CANARY.fileName}`, body: Buffer.from(CANARY.fileBody), type: 'text/plain' },
    ]);
    expect(added.status).toBe(303);
    // A failed sign-in with the canary phone too (audit and rate-limit paths).
    await expect(loginEmployee(t, { phone: CANARY.phone, password: 'wrong canary password 1' })).rejects.toThrow();

    // …but the database holds none of it in clear: not the identity, not the tip, not the code.
    const canaries = [...Object.values(CANARY), invite.code, invite.code.replace(/-/g, '')];
    const dump = await dumpDatabase(t.database.db);
    expect(dump.length).toBeGreaterThan(20);
    expect(findCanaries(dump, canaries)).toEqual([]);

    // Nor the logs, at the most verbose level.
    const logs = t.logs.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const canary of canaries) expect(logs, canary).not.toContain(canary);

    // The scan can find things: the plaintext metadata that is allowed in clear is there.
    expect(findCanaries(dump, ['state_secrets', employee.id]).length).toBeGreaterThan(0);
  });
});
