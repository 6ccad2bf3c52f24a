/**
 * The real server with everything a file route needs (a reviewer to seal to, a receipt, an
 * employee and their tip), and the database checks every hostile case ends with.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { spawnServer, type ServerProcess } from '../../faults/support/server-process.js';
import { employeeTip, enrolStaff, followupLogin, joinEmployee, operatorSetup, submitPublicReport } from '../../faults/support/flows.js';
import { WebSession } from '../../faults/support/web-session.js';

const TIP_FIELDS = { categories: 'explosives', description: '包裹渗出刺鼻液体，气味很重。', immediate_danger: 'no', province: 'GD', waybill_numbers: 'SF1234567890' };
export const REPORT_FIELDS = { ...TIP_FIELDS, identity_choice: 'anonymous' };

/** One file route and how to get a fresh CSRF token (and session cookie) for it. */
export type FileRoute = { path: string; session: () => Promise<WebSession> };

export type Target = {
  server: ServerProcess;
  port: number;
  routes: FileRoute[];
  sql(text: string): Promise<pg.QueryResult>;
  close(): Promise<void>;
};

export async function startTarget(adminUrl: string, extraEnv: Record<string, string> = {}): Promise<Target> {
  const dbName = `hostile_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const db = new pg.Client({ connectionString: url.toString() });
  // Every request comes from its own forwarded address, so per-address limits never decide a case.
  const env = { DATABASE_URL: url.toString(), DATA_DIR: mkdtempSync(path.join(tmpdir(), 'parcelguard-hostile-')), TRUST_PROXY: 'loopback', ...extraEnv };
  const names = { admin: 'hostile-admin', reviewer: 'hostile-reviewer', custodian: 'hostile-custodian' };
  const setup = await operatorSetup(env, names);
  // Compiled, exactly as `npm start` runs it in production.
  const server = await spawnServer(env, { compiled: true });
  await db.connect();
  const close = async () => {
    await server.stop();
    await db.end().catch(() => {});
    await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
    await admin.end();
  };
  try {
    await enrolStaff(server.staffBaseUrl, setup.reviewerLink, names.reviewer, 'pebble harbour lantern 8841');
    await enrolStaff(server.staffBaseUrl, setup.custodianLink, names.custodian, 'copper meadow beacon 2270');
    const base = server.baseUrl;
    const receipt = await submitPublicReport(base, { fields: REPORT_FIELDS });
    const reporter = await followupLogin(base, receipt);
    const employee = await joinEmployee(base, { inviteCode: setup.inviteCode, name: '王小明', employeeNumber: 'E1001', phone: '13800138000', password: 'quiet lantern harbour 5521' });
    const caseNumber = await employeeTip(employee, { fields: TIP_FIELDS, reply: '补充一句。' });
    const fresh = (s: WebSession, page: string) => async () => (await s.get(page), s);
    const routes: FileRoute[] = [
      { path: '/report', session: fresh(new WebSession(base), '/report') },
      { path: '/followup/files', session: fresh(reporter, '/followup') },
      { path: '/employee/report', session: fresh(employee, '/employee/report') },
      { path: `/employee/tips/${encodeURIComponent(caseNumber)}/files`, session: fresh(employee, `/employee/tips/${encodeURIComponent(caseNumber)}`) },
    ];
    return { server, port: Number(new URL(base).port), routes, sql: (text) => db.query(text), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Attachment rows: unfinished ones, and staged ones (no report yet). */
export async function attachmentCounts(target: Target): Promise<{ incomplete: number; staged: number }> {
  const { rows } = await target.sql('select count(*) filter (where not complete)::int as incomplete, count(*) filter (where report_id is null)::int as staged from attachments');
  return rows[0] as { incomplete: number; staged: number };
}

/** Resident memory of the server process in bytes (Linux). */
export function serverRss(target: Target): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${target.server.pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

export const randomAddress = () => `10.${(Math.random() * 250) | 0}.${(Math.random() * 250) | 0}.${1 + ((Math.random() * 250) | 0)}`;
