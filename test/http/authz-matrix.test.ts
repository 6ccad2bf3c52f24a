import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createEmployee, createTestOutlet } from '../helpers/employees.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { caseAction, fileReport, pngBytes, post, signedIn, stagedFile, type Actor } from './case-fixtures.js';

/**
 * Every staff route of the reviewer workspace × every kind of visitor, with the status each must
 * get. Holders of the case's keys succeed (on a fresh case each, so one action cannot spoil the
 * next); a reviewer whose grant was revoked and an admin (who never receives report keys) get the
 * same 404 as for a case that does not exist; the custodian-only page is 403 for non-custodians;
 * anyone without a staff session is sent to the sign-in page. The app runs with the four-eyes
 * rule on so that referral approval can be exercised too.
 */

const ROLES = ['admin', 'granted', 'outsider', 'custodian', 'employee', 'anonymous'] as const;
type Role = (typeof ROLES)[number];

type Fixture = { caseNumber: string; reportId: string; fileId: string; referralId: string; requestId: string; otherCaseNumber: string; linkedId: string; creditId: string };
type Spec = {
  method: 'GET' | 'POST';
  path: (f: Fixture) => string;
  fields?: (f: Fixture, actorId: string) => Record<string, string>;
  /** What a fresh case for this route needs beyond the basics. */
  needs?: ('referral' | 'request' | 'other' | 'link' | 'credit')[];
  expect: Record<Role, number>;
};

const signedInOnly = { employee: 303, anonymous: 303 } as const;
const holders = (ok: number) => ({ admin: 404, granted: ok, outsider: 404, custodian: ok, ...signedInOnly });
/** A case form sent without a staff session comes back as the sign-in page keeping its text (401). */
const keptSignIn = { employee: 401, anonymous: 401 } as const;
const caseForm = (ok: number) => ({ ...holders(ok), ...keptSignIn });
const c = (f: Fixture) => `/staff/cases/${f.caseNumber}`;

const SPECS: Record<string, Spec> = {
  'GET /staff': { method: 'GET', path: () => '/staff', expect: { admin: 200, granted: 200, outsider: 200, custodian: 200, ...signedInOnly } },
  'GET /staff/cases/:n': { method: 'GET', path: c, expect: holders(200) },
  'GET /staff/cases/:n/files/:id': { method: 'GET', path: (f) => `${c(f)}/files/${f.fileId}`, expect: holders(200) },
  'GET /staff/cases/:n/identity': { method: 'GET', path: (f) => `${c(f)}/identity`, expect: { ...holders(200), granted: 404 } },
  'GET /staff/identity-requests': { method: 'GET', path: () => '/staff/identity-requests', expect: { admin: 403, granted: 403, outsider: 403, custodian: 200, ...signedInOnly } },
  'GET /staff/custody/handover': { method: 'GET', path: () => '/staff/custody/handover', expect: { admin: 403, granted: 403, outsider: 403, custodian: 200, ...signedInOnly } },
  // The target is a reviewer without the custodian flag: refused (422) once authorised.
  'POST /staff/custody/handover': {
    method: 'POST',
    path: () => '/staff/custody/handover',
    fields: () => ({ to: people.creator.staff.id }),
    expect: { admin: 403, granted: 403, outsider: 403, custodian: 422, ...signedInOnly },
  },
  'GET /staff/cases/:n/referrals/new': { method: 'GET', path: (f) => `${c(f)}/referrals/new`, expect: holders(200) },
  'GET /staff/cases/:n/referrals/:id/sheet': { method: 'GET', path: (f) => `${c(f)}/referrals/${f.referralId}/sheet`, needs: ['referral'], expect: holders(200) },
  // No receiving body is registered here: a holder is refused on the sheet (422), anyone else never gets that far.
  'POST referral bundle': { method: 'POST', path: (f) => `${c(f)}/referrals/${f.referralId}/bundle`, fields: () => ({ authority: '00000000-0000-4000-8000-000000000000' }), needs: ['referral'], expect: holders(422) },
  'POST acknowledge': { method: 'POST', path: (f) => `${c(f)}/acknowledge`, expect: caseForm(303) },
  'POST status': { method: 'POST', path: (f) => `${c(f)}/status`, fields: () => ({ to: 'acknowledged' }), expect: caseForm(303) },
  'POST severity': { method: 'POST', path: (f) => `${c(f)}/severity`, fields: () => ({ severity: 'high' }), expect: caseForm(303) },
  'POST labels': { method: 'POST', path: (f) => `${c(f)}/labels`, fields: () => ({ labels: 'matrix' }), expect: caseForm(303) },
  'POST assign': { method: 'POST', path: (f) => `${c(f)}/assign`, fields: (_f, me) => ({ assignee: me }), expect: caseForm(303) },
  'POST share': { method: 'POST', path: (f) => `${c(f)}/share`, fields: () => ({ staffId: people.outsider.staff.id }), expect: caseForm(303) },
  'POST revoke': { method: 'POST', path: (f) => `${c(f)}/revoke`, fields: () => ({ staffId: people.creator.staff.id }), expect: caseForm(303) },
  'POST messages': { method: 'POST', path: (f) => `${c(f)}/messages`, fields: () => ({ body: '您好' }), expect: caseForm(303) },
  'POST request-info': { method: 'POST', path: (f) => `${c(f)}/request-info`, fields: () => ({ question: '请补充' }), expect: caseForm(303) },
  'POST reward': { method: 'POST', path: (f) => `${c(f)}/reward`, fields: () => ({ note: '奖励说明' }), expect: caseForm(303) },
  'POST notes': { method: 'POST', path: (f) => `${c(f)}/notes`, fields: () => ({ body: '备注' }), expect: caseForm(303) },
  'POST links': { method: 'POST', path: (f) => `${c(f)}/links`, fields: (f) => ({ caseNumber: f.otherCaseNumber }), needs: ['other'], expect: caseForm(303) },
  'POST unlink': { method: 'POST', path: (f) => `${c(f)}/unlink`, fields: (f) => ({ reportId: f.linkedId }), needs: ['link'], expect: caseForm(303) },
  'POST duplicate': { method: 'POST', path: (f) => `${c(f)}/duplicate`, fields: (f) => ({ caseNumber: f.otherCaseNumber }), needs: ['other'], expect: caseForm(303) },
  'POST legal-hold': { method: 'POST', path: (f) => `${c(f)}/legal-hold`, fields: () => ({ reason: 'litigation' }), expect: caseForm(303) },
  'POST legal-hold/clear': { method: 'POST', path: (f) => `${c(f)}/legal-hold/clear`, expect: caseForm(303) },
  // A custodian already holds KI, so their own request is refused as pointless (after authorisation).
  'POST identity-requests': { method: 'POST', path: (f) => `${c(f)}/identity-requests`, fields: () => ({ reason: '核实' }), expect: { ...caseForm(303), custodian: 422 } },
  'POST /staff/identity-requests/:id/decision': {
    method: 'POST',
    path: (f) => `/staff/identity-requests/${f.requestId}/decision`,
    fields: () => ({ decision: 'approve', reason: '同意' }),
    needs: ['request'],
    expect: { admin: 403, granted: 403, outsider: 403, custodian: 303, ...signedInOnly },
  },
  'POST referrals': {
    method: 'POST',
    path: (f) => `${c(f)}/referrals`,
    fields: () => ({ channel: 'web_12339', referredAt: '2026-11-01T10:00', summary: '摘要' }),
    expect: caseForm(303),
  },
  'POST referrals/:id/approve': { method: 'POST', path: (f) => `${c(f)}/referrals/${f.referralId}/approve`, needs: ['referral'], expect: holders(303) },
  'POST referrals/:id/updates': { method: 'POST', path: (f) => `${c(f)}/referrals/${f.referralId}/updates`, fields: () => ({ body: '进展' }), needs: ['referral'], expect: caseForm(303) },
  // The referral still waits for its second approval here: an outcome is refused (422) once authorised.
  'POST referrals/:id/outcome': {
    method: 'POST',
    path: (f) => `${c(f)}/referrals/${f.referralId}/outcome`,
    fields: () => ({ outcome: 'case_opened', on: '2026-11-30', reference: '' }),
    needs: ['referral'],
    expect: caseForm(422),
  },
  // No such company: refused (422) once authorised.
  'POST credits': { method: 'POST', path: (f) => `${c(f)}/credits`, fields: () => ({ target: '00000000-0000-4000-8000-000000000000' }), expect: caseForm(422) },
  'POST credits/remove': { method: 'POST', path: (f) => `${c(f)}/credits/remove`, fields: (f) => ({ creditId: f.creditId }), needs: ['credit'], expect: holders(303) },
};

let t: TestApp;
let people: Record<'admin' | 'granted' | 'outsider' | 'custodian' | 'creator', Actor>;
let employeeAgent: TestAgent;

beforeAll(async () => {
  t = await createTestApp({ REFERRAL_REQUIRES_APPROVAL: 'true' });
  people = {
    admin: await signedIn(t, { role: 'admin' }),
    granted: await signedIn(t),
    outsider: await signedIn(t),
    custodian: await signedIn(t, { custodian: true }),
    creator: await signedIn(t),
  };
  // A signed-in employee who finds the staff address: their public-site cookies travel to the staff
  // app (browsers do not separate cookies by port), and must count for nothing there.
  const employee = await createEmployee(t);
  const cookies = (await employee.agent.get('/employee')).request.cookies as unknown as string;
  employeeAgent = request.agent(t.staffApp).set('Cookie', cookies);
}, 180_000);
afterAll(async () => {
  await t.close();
});

/** A case as intake files it (identity the reporter agreed to share, one image), minus the outsider's grants. */
async function freshCase(needs: Spec['needs'] = []): Promise<Fixture> {
  const file = await stagedFile(t, 'matrix.png', await pngBytes(), 'image/png');
  const r = await fileReport(t, { identity: { name: '矩阵测试', consent: 'share_with_authorities' }, attachments: [file] });
  // Intake seals to every active reviewer; taking the outsider's grants away makes them a reviewer without a grant.
  await t.database.db.deleteFrom('report_key_grants').where('report_id', '=', r.reportId).where('recipient_id', '=', people.outsider.staff.id).execute();
  const f: Fixture = { caseNumber: r.caseNumber, reportId: r.reportId, fileId: file.id, referralId: '', requestId: '', otherCaseNumber: '', linkedId: '', creditId: '' };
  if (needs.includes('other') || needs.includes('link')) {
    const other = await fileReport(t);
    Object.assign(f, { otherCaseNumber: other.caseNumber, linkedId: other.reportId });
    if (needs.includes('link')) expect((await caseAction(people.creator.agent, r.caseNumber, 'links', { caseNumber: other.caseNumber })).status).toBe(303);
  }
  if (needs.includes('referral')) {
    const made = await post(people.creator.agent, `${c(f)}/referrals/new`, `${c(f)}/referrals`, { channel: 'hotline_12339', referredAt: '2026-11-01T09:00', summary: '初始摘要' });
    expect(made.status).toBe(303);
    f.referralId = (await t.database.db.selectFrom('referrals').select('id').where('report_id', '=', r.reportId).executeTakeFirstOrThrow()).id;
  }
  if (needs.includes('credit')) {
    const outlet = await createTestOutlet(t, { company: '矩阵速运' });
    const { organisation_id } = await t.database.db.selectFrom('outlets').select('organisation_id').where('id', '=', outlet.id).executeTakeFirstOrThrow();
    expect((await caseAction(people.creator.agent, r.caseNumber, 'credits', { target: organisation_id })).status).toBe(303);
    f.creditId = (await t.database.db.selectFrom('case_credits').select('id').where('report_id', '=', r.reportId).executeTakeFirstOrThrow()).id;
  }
  if (needs.includes('request')) {
    expect((await caseAction(people.creator.agent, r.caseNumber, 'identity-requests', { reason: '需要核实' })).status).toBe(303);
    f.requestId = (await t.database.db.selectFrom('identity_requests').select('id').where('report_id', '=', r.reportId).executeTakeFirstOrThrow()).id;
  }
  return f;
}

function agentFor(role: Role): TestAgent {
  if (role === 'employee') return employeeAgent;
  if (role === 'anonymous') return request.agent(t.staffApp);
  return people[role].agent;
}

/** A CSRF token valid for this visitor: the matrix tests authorisation, not CSRF. */
async function tokenFor(role: Role, agent: TestAgent): Promise<string> {
  const page = await agent.get(role === 'employee' || role === 'anonymous' ? '/staff/login' : '/staff');
  return csrfTokenFrom(page.text);
}

const cases = Object.entries(SPECS).flatMap(([name, spec]) => ROLES.map((role) => [name, role, spec.expect[role], spec] as const));

describe('authorisation matrix', () => {
  it.each(cases)('%s as %s → %i', async (_name, role, expected, spec) => {
    const fixture = await freshCase(spec.needs);
    const agent = agentFor(role);
    const actorId = role in people ? people[role as keyof typeof people].staff.id : '00000000-0000-4000-8000-000000000000';
    const path = spec.path(fixture);
    // The token first: the agent attaches its cookies when the request is created.
    const token = spec.method === 'POST' ? await tokenFor(role, agent) : '';
    const res =
      spec.method === 'GET'
        ? await agent.get(path)
        : await agent.post(path).type('form').send({ _csrf: token, ...(spec.fields?.(fixture, actorId) ?? {}) });
    expect(res.status, String(res.text ?? '').slice(0, 500)).toBe(expected);
    if (expected === 303 && (role === 'employee' || role === 'anonymous')) expect(res.headers.location).toBe('/staff/login');
    if (expected === 404) expect(res.text).not.toContain('矩阵测试');
    if (expected === 401) {
      // The sign-in page, keeping what was typed, and nothing of the case.
      expect(res.text).toContain('action="/staff/login"');
      expect(res.text).not.toContain('矩阵测试');
    }
  });

  it('covers every route the workspace mounts', async () => {
    const { createStaffApp } = await import('../../server/staff/app.js');
    const app = createStaffApp(t.ctx) as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } };
    const mounted = new Set<string>();
    const walk = (stack: { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: unknown[] } }[]) => {
      for (const layer of stack) {
        if (layer.route) for (const m of Object.keys(layer.route.methods)) mounted.add(`${m.toUpperCase()} ${layer.route.path}`);
        else if (layer.handle?.stack) walk(layer.handle.stack as never);
      }
    };
    walk(app.router.stack as never);
    const workspace = [...mounted].filter((r) => /^(GET|POST) \/staff(\/cases|\/identity-requests|\/custody|$)/.test(r));
    // Every mounted workspace route appears in the matrix (compared by method and shape).
    const shape = (r: string) => r.replace(/:[A-Za-z]+/g, ':x');
    const covered = new Set(Object.values(SPECS).map((s) => `${s.method} ${shape(s.path({ caseNumber: ':x', reportId: '', fileId: ':x', referralId: ':x', requestId: ':x', otherCaseNumber: '', linkedId: '', creditId: '' }))}`));
    expect(workspace.map(shape).filter((r) => !covered.has(r))).toEqual([]);
    expect(workspace.length).toBe(Object.keys(SPECS).length);
  });
});
