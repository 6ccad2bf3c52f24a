import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pino from 'pino';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestReviewer } from '../helpers/reports.js';
import { appendRows, asDatabaseOwner } from '../helpers/audit.js';
import { checkpointDir, writeCheckpoint } from '../../server/core/audit/checkpoints.js';
import { runScheduledAuditVerify, verifyAuditNowAndAlert } from '../../server/core/audit/scheduled.js';

/**
 * The portal verifies its own audit chain once a day (one instance of several) and alerts the
 * administrators when the chain is broken, a checkpoint disagrees, or its checkpoints stopped
 * keeping up with the chain.
 */
let t: TestApp;
const HOUR = 3600_000;
const db = () => t.database.db;
const alerts = () => db().selectFrom('alert_outbox').select(['event', 'due_kind', 'staff_id']).where('event', '=', 'audit.verification_failed').execute();
const checkpoint = () => writeCheckpoint(db(), { dir: checkpointDir(t.config.dataDir), instanceId: t.config.instanceId, logger: pino({ level: 'silent' }) });
let adminId: string;

beforeAll(async () => {
  t = await createTestApp({ AUDIT_CHECKPOINT_SECONDS: '300' });
  const admin = await createTestReviewer(t, { role: 'admin' });
  adminId = admin.id;
  await db().updateTable('staff').set({ email: 'admin@example.test' }).where('id', '=', adminId).execute();
  await appendRows(db(), 5);
});
afterAll(async () => {
  await t.close();
});
beforeEach(async () => {
  await db().deleteFrom('alert_outbox').execute();
});

describe('scheduled audit verification', () => {
  it('verifies once per day across instances and stays quiet when all is well', async () => {
    await checkpoint();
    const now = new Date();
    const first = await runScheduledAuditVerify(t.ctx, now, { instance: 'a' });
    expect(first).toMatchObject({ ok: true });
    expect(await runScheduledAuditVerify(t.ctx, new Date(now.getTime() + 60_000), { instance: 'b' })).toBeNull();
    expect(await alerts()).toEqual([]);
  });

  it('alerts the administrators when the newest rows have had no checkpoint for too long', async () => {
    await checkpoint();
    await appendRows(db(), 2);
    // Within the grace period (two checkpoint intervals, at least an hour) nothing is wrong yet.
    expect(await verifyAuditNowAndAlert(t.ctx, new Date(Date.now() + 30 * 60_000))).toMatchObject({ ok: true });
    const late = await verifyAuditNowAndAlert(t.ctx, new Date(Date.now() + 2 * HOUR));
    expect(late).toMatchObject({ ok: false, reason: 'checkpoint' });
    expect(await alerts()).toEqual([{ event: 'audit.verification_failed', due_kind: 'checkpoint', staff_id: adminId }]);
  });

  it('alerts the administrators when a row was changed', async () => {
    await checkpoint();
    await asDatabaseOwner(db(), () => sql`update audit_log set details = '{"n": 99}'::jsonb where seq = (select min(seq) from audit_log)`.execute(db()));
    const outcome = await verifyAuditNowAndAlert(t.ctx, new Date());
    expect(outcome).toMatchObject({ ok: false, reason: 'chain' });
    expect(await alerts()).toEqual([{ event: 'audit.verification_failed', due_kind: 'chain', staff_id: adminId }]);
  });
});
