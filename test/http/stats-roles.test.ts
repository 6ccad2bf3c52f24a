import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Express } from 'express';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createEmployee } from '../helpers/employees.js';
import { fileReport, signedIn, type Actor } from './case-fixtures.js';

/**
 * The analyst role: statistics and the monthly report only. Every other staff route, walked from
 * the staff app's own route table with real ids in its parameters, answers 404 to an analyst,
 * GET and POST alike (with a valid CSRF token, so that only the role is in the way).
 */

type Layer = { route?: { path: string | string[]; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

function routes(app: Express): { method: 'get' | 'post'; path: string }[] {
  const found = new Map<string, { method: 'get' | 'post'; path: string }>();
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of ([] as string[]).concat(layer.route.path)) {
          for (const method of ['get', 'post'] as const) if (layer.route.methods[method]) found.set(`${method} ${path}`, { method, path });
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...found.values()];
}

/** Routes an analyst may reach: statistics, their own password, and the pages before any guard. */
const ANALYST_ROUTES = [
  /^\/staff\/stats(\/|$)/,
  /^\/staff\/account\/password$/,
  /^\/staff\/enrol\//,
  /^\/staff\/(login|logout|recover)$/,
  /^\/staff\/lang\//,
  /^\/healthz$/,
  // First-run setup answers by its one-time token, whoever asks (410 once the installation has staff).
  /^\/staff\/setup\//,
];

let t: TestApp;
let analyst: Actor;
let reviewer: Actor;
let admin: Actor;
let caseNumber: string;
let reportId: string;

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t, { custodian: true });
  admin = await signedIn(t, { role: 'admin' });
  analyst = await signedIn(t, { role: 'analyst' });
  const report = await fileReport(t);
  caseNumber = report.caseNumber;
  reportId = report.reportId;
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('analyst role', () => {
  it('is created by `staff:create --role analyst`, never as a custodian', async () => {
    const created = await runCli(t, 'staff:create', '--role', 'analyst', '--username', 'zhou.analyst');
    expect(created.code).toBe(0);
    expect(created.out).toContain('Created analyst "zhou.analyst"');
    const row = await t.database.db.selectFrom('staff').select(['role', 'is_custodian']).where('username', '=', 'zhou.analyst').executeTakeFirstOrThrow();
    expect(row).toEqual({ role: 'analyst', is_custodian: false });
    const refused = await runCli(t, 'staff:create', '--role', 'analyst', '--username', 'wu.analyst', '--custodian');
    expect(refused.code).not.toBe(0);
  });

  it('holds no key of any report', async () => {
    const grants = await t.database.db.selectFrom('report_key_grants').select('id').where('recipient_id', '=', analyst.staff.id).execute();
    expect(grants).toEqual([]);
  });

  it('lands on the statistics page after signing in', async () => {
    const res = await analyst.agent.get('/staff/stats');
    expect(res.status).toBe(200);
    expect(res.text).toContain('href="/staff/stats"');
    expect(res.text).not.toContain('href="/staff/keyholders"');
    expect(res.text).not.toContain('href="/staff/account"');
  });

  it('gets 404 on every case, queue, custody, key and admin route of the route table', async () => {
    const page = await analyst.agent.get('/staff/stats');
    const token = csrfTokenFrom(page.text);
    const fill = (path: string) =>
      path
        .replace(':caseNumber', caseNumber)
        .replace(/:[A-Za-z]+/g, reportId);
    const walked = routes(t.staffApp).filter((r) => !ANALYST_ROUTES.some((re) => re.test(r.path)));
    expect(walked.length).toBeGreaterThan(30);
    const wrong: string[] = [];
    for (const route of walked) {
      const url = fill(route.path);
      const res = route.method === 'get' ? await analyst.agent.get(url) : await analyst.agent.post(url).type('form').send({ _csrf: token });
      if (res.status !== 404) wrong.push(`${route.method.toUpperCase()} ${route.path} → ${res.status}`);
    }
    expect(wrong).toEqual([]);
    // The walk reached real pages: the same case page opens for a reviewer holding its key.
    expect((await reviewer.agent.get(`/staff/cases/${caseNumber}`)).status).toBe(200);
  });

  it('still reaches their own password page', async () => {
    expect((await analyst.agent.get('/staff/account/password')).status).toBe(200);
  });
});

describe('who sees /staff/stats', () => {
  it('reviewers, admins and analysts; a visitor is sent to sign in, the public site has no such page', async () => {
    expect((await reviewer.agent.get('/staff/stats')).status).toBe(200);
    expect((await admin.agent.get('/staff/stats')).status).toBe(200);
    expect((await analyst.agent.get('/staff/stats/monthly?month=2026-11')).status).toBe(200);
    const anonymous = await request(t.staffApp).get('/staff/stats');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.location).toBe('/staff/login');
    const employee = await createEmployee(t);
    expect((await employee.agent.get('/staff/stats')).status).toBe(404);
  });
});
