import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { appendRows, appendUnkeyedRows, asDatabaseOwner, rehashWithoutKey } from '../helpers/audit.js';
import { checkpointDir, startAuditCheckpoints, writeCheckpoint } from '../../server/core/audit/checkpoints.js';

// audit:verify with checkpoints, from several instances, against each thing a database writer
// without the secrets file can do. Each test gets its own app (its own database and DATA_DIR).
const silent = pino({ level: 'silent' });
let apps: TestApp[] = [];
async function freshApp(): Promise<TestApp> {
  const t = await createTestApp();
  apps.push(t);
  return t;
}
afterAll(async () => {
  await Promise.all(apps.map((t) => t.close()));
  apps = [];
});

const checkpoint = (t: TestApp, instanceId: string) =>
  writeCheckpoint(t.database.db, { dir: checkpointDir(t.config.dataDir), instanceId, logger: silent });

const lastSeq = async (t: TestApp) =>
  Number((await t.database.db.selectFrom('audit_log').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow()).seq);

describe('audit:verify with checkpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await freshApp();
  });

  it('is OK when rows and the checkpoints of two instances agree, and warns without checkpoints', async () => {
    await appendRows(t.database.db, 3);
    const bare = await runCli(t, 'audit:verify');
    expect(bare).toMatchObject({ code: 0, out: 'audit chain OK (3 rows)' });
    expect(bare.err).toContain('no checkpoint files');
    await checkpoint(t, 'web-1');
    await appendRows(t.database.db, 2);
    await checkpoint(t, 'web-2');
    const res = await runCli(t, 'audit:verify');
    expect(res.code).toBe(0);
    expect(res.out).toContain('audit chain OK (5 rows)');
    expect(res.out).toContain('checkpoints OK (2 from 2 instances, newest at seq');
    expect(readdirSync(checkpointDir(t.config.dataDir)).sort()).toEqual(['web-1.jsonl', 'web-2.jsonl']);
  });

  it('catches removal of the newest entries, naming the instance whose checkpoint shows it', async () => {
    const head = await lastSeq(t);
    await asDatabaseOwner(t.database.db, () => sql`delete from audit_log where seq >= ${head - 1}`.execute(t.database.db));
    // The remaining chain is intact by itself: only the checkpoint shows what is missing.
    const res = await runCli(t, 'audit:verify');
    expect(res.code).toBe(1);
    expect(res.out).toBe(`audit chain BROKEN at seq ${head} (a checkpoint records later rows than the database holds: the newest entries were removed, checkpoint of instance web-2)`);
  });

  it('catches removed rows replaced by new ones under the same sequence numbers', async () => {
    const u = await freshApp();
    await appendRows(u.database.db, 4);
    await checkpoint(u, 'web-1');
    const head = await lastSeq(u);
    await asDatabaseOwner(u.database.db, () => sql`delete from audit_log where seq = ${head}`.execute(u.database.db));
    await sql`select setval('audit_log_seq', ${head - 1})`.execute(u.database.db);
    await appendRows(u.database.db, 1, 'staff.login_succeeded');
    const res = await runCli(u, 'audit:verify');
    expect(res).toMatchObject({ code: 1, out: `audit chain BROKEN at seq ${head} (the row differs from the one a checkpoint recorded, checkpoint of instance web-1)` });
  });
});

describe('audit:verify against a rewritten chain', () => {
  it('catches an edited row whose chain was recomputed without the key', async () => {
    const t = await freshApp();
    await appendRows(t.database.db, 4);
    const victim = (await lastSeq(t)) - 2;
    await asDatabaseOwner(t.database.db, () => sql`update audit_log set details = '{"n": 99}'::jsonb where seq = ${victim}`.execute(t.database.db));
    await rehashWithoutKey(t.database.db, 'keep');
    // Every link is consistent again; the first keyed row gives it away.
    const res = await runCli(t, 'audit:verify');
    expect(res).toMatchObject({ code: 1, out: `audit chain BROKEN at seq ${(await lastSeq(t)) - 3} (row contents do not match its hash)` });
  });

  it('catches a chain relabelled as unkeyed and recomputed, by its checkpoint', async () => {
    const t = await freshApp();
    await appendRows(t.database.db, 3);
    await checkpoint(t, 'web-1');
    await rehashWithoutKey(t.database.db, 'as-version-1');
    const res = await runCli(t, 'audit:verify');
    expect(res).toMatchObject({ code: 1, out: `audit chain BROKEN at seq ${await lastSeq(t)} (the row differs from the one a checkpoint recorded, checkpoint of instance web-1)` });
  });

  it('refuses unkeyed rows after keyed ones even without checkpoints', async () => {
    const t = await freshApp();
    await appendRows(t.database.db, 2);
    await appendUnkeyedRows(t.database.db, 1);
    const res = await runCli(t, 'audit:verify');
    expect(res).toMatchObject({ code: 1, out: `audit chain BROKEN at seq ${await lastSeq(t)} (an unkeyed row follows keyed ones)` });
  });

  it('keeps verifying unkeyed rows written before the chain was keyed', async () => {
    const t = await freshApp();
    await appendUnkeyedRows(t.database.db, 3);
    await appendRows(t.database.db, 2);
    const res = await runCli(t, 'audit:verify');
    expect(res).toMatchObject({ code: 0, out: 'audit chain OK (5 rows; 3 unkeyed rows from before the chain was keyed)' });
    // The first keyed row seals the unkeyed ones before it: editing one and rehashing them fails there.
    await asDatabaseOwner(t.database.db, () => sql`update audit_log set details = '{"legacy": 7}'::jsonb where seq = (select min(seq) from audit_log)`.execute(t.database.db));
    await rehashWithoutKey(t.database.db, 'keep');
    expect((await runCli(t, 'audit:verify')).code).toBe(1);
  });
});

describe('checkpoint files', () => {
  it('rejects a checkpoint line that was edited or made without the secrets file', async () => {
    const t = await freshApp();
    await appendRows(t.database.db, 2);
    await checkpoint(t, 'web-1');
    const file = join(checkpointDir(t.config.dataDir), 'web-1.jsonl');
    const line = JSON.parse(readFileSync(file, 'utf8').trim()) as Record<string, unknown>;
    appendFileSync(file, `${JSON.stringify({ ...line, seq: 1 })}\n`);
    const res = await runCli(t, 'audit:verify');
    expect(res.code).toBe(1);
    expect(res.err).toContain('error: web-1.jsonl line 2: not a valid checkpoint');
    expect(res.out).toContain('checkpoint files BROKEN (1 invalid lines)');
  });

  it('tolerates an unfinished last line (a crash mid-write) with a warning', async () => {
    const t = await freshApp();
    await appendRows(t.database.db, 1);
    await checkpoint(t, 'web-1');
    const file = join(checkpointDir(t.config.dataDir), 'web-1.jsonl');
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"at":"2026-12`);
    const res = await runCli(t, 'audit:verify');
    expect(res.code).toBe(0);
    expect(res.err).toContain('warning: web-1.jsonl line 2: unfinished last line');
  });

  it('the running writer checkpoints at start, when the head moves, and at stop, with a log line', async () => {
    const t = await freshApp();
    await appendRows(t.database.db, 1);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const writer = startAuditCheckpoints(t.database.db, { dir: checkpointDir(t.config.dataDir), instanceId: 'web-9', intervalMs: 20, logger });
    await new Promise((r) => setTimeout(r, 60));
    await appendRows(t.database.db, 1);
    await new Promise((r) => setTimeout(r, 80));
    await writer.stop();
    const written = readFileSync(join(checkpointDir(t.config.dataDir), 'web-9.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number });
    // One at start (seq s), one when the head moved (s+1), one at stop; none while it stood still.
    expect(written.map((c) => c.seq)).toEqual([written[0]!.seq, written[0]!.seq + 1, written[0]!.seq + 1]);
    expect(lines.filter((l) => l.includes('"msg":"audit checkpoint"'))).toHaveLength(3);
    expect((await runCli(t, 'audit:verify')).code).toBe(0);
  });
});
