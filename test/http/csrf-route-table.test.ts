import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { sql } from 'kysely';
import type { Express } from 'express';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createEmployee } from '../helpers/employees.js';
import { caseAction, fileReport, pngBytes, reporterAgent, signedIn, stagedFile, type Actor } from './case-fixtures.js';
import { PUBLIC_FILE_ROUTES } from '../../server/public/app.js';

/**
 * CSRF by construction: every POST route of both apps, walked from the apps' own route tables,
 * is sent a request without a token, urlencoded and multipart, by a visitor who is signed in
 * (so that nothing but the token is missing), with every path parameter filled with a real id.
 * Each must answer 403, and the database must be byte-for-byte what it was before.
 */

type Layer = { route?: { path: string | string[]; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

function postRoutes(app: Express): string[] {
  const found = new Set<string>();
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route?.methods.post) for (const path of ([] as string[]).concat(layer.route.path)) found.add(path);
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...found].sort();
}

/** A digest of every row of every table: any change anywhere changes it. */
async function databaseDigest(t: TestApp): Promise<string> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(t.database.db);
  const parts: string[] = [];
  for (const { table_name: name } of tables.rows) {
    const { rows } = await sql<{ digest: string | null }>`
      select md5(coalesce(string_agg(r::text, '|' order by r::text), '')) as digest from ${sql.table(name)} r`.execute(t.database.db);
    parts.push(`${name}:${rows[0]?.digest}`);
  }
  return parts.join('\n');
}

let t: TestApp;
let reviewer: Actor;
let admin: Actor;
let custodian: Actor;
let employeeAgent: TestAgent;
let reporter: TestAgent;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  admin = await signedIn(t, { role: 'admin' });
  reviewer = await signedIn(t);
  custodian = await signedIn(t, { custodian: true });
  const employee = await createEmployee(t);
  employeeAgent = employee.agent;
  const file = await stagedFile(t, 'route.png', await pngBytes(), 'image/png');
  const report = await fileReport(t, { identity: { name: '路由表', consent: 'share_with_authorities' }, attachments: [file] });
  reporter = await reporterAgent(t, report.receipt!);
  expect((await caseAction(reviewer.agent, report.caseNumber, 'identity-requests', { reason: '核实' })).status).toBe(303);
  const request = await t.database.db.selectFrom('identity_requests').select('id').executeTakeFirstOrThrow();
  const outlet = await t.database.db.selectFrom('outlets').select('id').executeTakeFirstOrThrow();
  const employeeRow = await t.database.db.selectFrom('employees').select('id').executeTakeFirstOrThrow();
  const invite = await t.database.db.selectFrom('invites').select('id').executeTakeFirstOrThrow();
  Object.assign(ids, {
    caseNumber: report.caseNumber,
    id: outlet.id,
    requestId: request.id,
    referralId: '00000000-0000-4000-8000-000000000000',
    staffId: reviewer.staff.id,
    employeeId: employeeRow.id,
    inviteId: invite.id,
    token: 'x'.repeat(43),
  });
}, 180_000);
afterAll(async () => {
  await t.close();
});

function fill(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, (_m, name: string) => encodeURIComponent(ids[name] ?? ids.id!));
}

/** The visitor who may use the route, so that only the token is missing. */
function visitorFor(app: 'public' | 'staff', path: string): TestAgent {
  if (app === 'staff') {
    if (path.startsWith('/staff/admin')) return admin.agent;
    if (path.startsWith('/staff/identity-requests') || path.startsWith('/staff/custody')) return custodian.agent;
    return reviewer.agent;
  }
  if (path.startsWith('/employee')) return employeeAgent;
  if (path.startsWith('/followup')) return reporter;
  return request.agent(t.publicApp);
}

const FIELDS = { body: '无令牌', reason: '无令牌', note: '无令牌', description: '无令牌', categories: 'other', to: 'acknowledged', decision: 'approve' };

describe('CSRF by construction', () => {
  it('the public app declares its file routes, and the staff app takes none', () => {
    expect(postRoutes(t.publicApp)).toEqual(expect.arrayContaining([...PUBLIC_FILE_ROUTES]));
    expect(postRoutes(t.publicApp).filter((p) => p.startsWith('/staff'))).toEqual([]);
    expect(postRoutes(t.staffApp).filter((p) => !p.startsWith('/staff'))).toEqual([]);
  });

  for (const app of ['public', 'staff'] as const) {
    it(`every POST route of the ${app} app refuses a request without a token, urlencoded and multipart, and changes nothing`, async () => {
      const express = app === 'public' ? t.publicApp : t.staffApp;
      const routes = postRoutes(express);
      expect(routes.length).toBeGreaterThan(app === 'public' ? 10 : 25);
      const before = await databaseDigest(t);
      const outcomes: string[] = [];
      for (const route of routes) {
        const agent = visitorFor(app, route);
        const path = fill(route);
        const form = await agent.post(path).type('form').send(FIELDS);
        const multipart = await agent
          .post(path)
          .field('body', '无令牌')
          .field('description', '无令牌')
          .field('categories', 'other')
          .attach('files', Buffer.from(await pngBytes()), { filename: 'no-token.png', contentType: 'image/png' });
        const forged = await agent.post(path).type('form').send({ ...FIELDS, _csrf: 'forged.token-value' });
        outcomes.push(`${route} urlencoded=${form.status} multipart=${multipart.status} forged=${forged.status}`);
      }
      expect(outcomes.filter((line) => !/urlencoded=403 multipart=403 forged=403$/.test(line))).toEqual([]);
      expect(await databaseDigest(t)).toBe(before);
    });
  }

  it('the staff app refuses a multipart body that carries a valid token, before parsing it', async () => {
    const page = await reviewer.agent.get(`/staff/cases/${ids.caseNumber}`);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const before = await databaseDigest(t);
    const res = await reviewer.agent.post(`/staff/cases/${ids.caseNumber}/notes`).field('_csrf', token).field('body', '多部分');
    expect(res.status).toBe(403);
    expect(await databaseDigest(t)).toBe(before);
  });
});
