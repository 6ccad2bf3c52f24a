import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { formatEscrowKeyFile, parseEscrowKeyFile } from '../../server/core/escrow/service.js';
import { payloadBinding } from '../../server/core/reports/payload-binding.js';
import { fromBase64, generateBoxKeyPair, newSymmetricKey, sealJson, sealKeyTo } from '../../server/core/crypto/index.js';

let t: TestApp;
let dir: string;
beforeAll(async () => {
  t = await createTestApp();
  dir = mkdtempSync(path.join(tmpdir(), 'parcelguard-escrow-'));
});
afterAll(async () => {
  await t.close();
});

const db = () => t.ctx.database.db;

const cli = (...argv: string[]) => runCli(t, ...argv);

async function escrowPublicKey(): Promise<Uint8Array | null> {
  const row = await db().selectFrom('installation').select('escrow_public_key').executeTakeFirstOrThrow();
  return row.escrow_public_key ? new Uint8Array(row.escrow_public_key) : null;
}

/** A sealed report as intake writes it: payload under K, K granted to the escrow key (and nobody else here). */
async function sealedReport(caseNumber: string, payload: unknown, escrow: Uint8Array | null) {
  const id = randomUUID();
  const reportKey = newSymmetricKey();
  const reporter = generateBoxKeyPair();
  const createdAt = new Date();
  await db()
    .insertInto('reports')
    .values({
      id,
      case_number: caseNumber,
      channel: 'public',
      created_at: createdAt,
      categories: ['spy_equipment'],
      payload_sealed: sealJson(reportKey, 'payload', id, payload, payloadBinding({ channel: 'public', created_at: createdAt })),
      reporter_public_key: reporter.publicKey,
      triage_due_at: new Date(Date.now() + 3600_000),
      feedback_due_at: new Date(Date.now() + 30 * 86400_000),
    })
    .execute();
  if (escrow) {
    await db().insertInto('report_key_grants').values({ report_id: id, key_kind: 'report', recipient_kind: 'escrow', recipient_id: null, sealed_key: sealKeyTo(reportKey, escrow) }).execute();
  }
  return id;
}

describe('npm run cli -- escrow:init', () => {
  it('writes the private key once to a 0600 file, keeps only the public key, and refuses a second key', async () => {
    const file = path.join(dir, 'escrow.key');
    const res = await cli('escrow:init', '--out', file);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/Escrow public key installed \(sha256:[0-9a-f]{32}\)/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# installation: http://127.0.0.1:');
    expect(text).toMatch(/# created: \d{4}-\d\d-\d\dT/);
    const privateKey = parseEscrowKeyFile(text)!;
    expect(privateKey).toHaveLength(32);
    const publicKey = await escrowPublicKey();
    expect(Buffer.from(publicKey!).toString('base64')).toBe(/# public-key: (\S+)/.exec(text)![1]);

    // Nothing in the database holds the private key.
    const { rows } = await (await import('kysely')).sql<Record<string, unknown>>`select * from installation`.execute(db());
    const dump = rows.map((r) => Object.values(r).map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v))).join('|')).join('\n');
    expect(dump).not.toContain(Buffer.from(privateKey).toString('hex'));
    const audit = await db().selectFrom('audit_log').selectAll().where('event', '=', 'escrow.initialised').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_kind: 'cli' });

    const again = await cli('escrow:init', '--out', path.join(dir, 'second.key'));
    expect(again.code).toBe(1);
    expect(again.err).toContain('already exists');
    expect(Buffer.from((await escrowPublicKey())!)).toEqual(Buffer.from(publicKey!));
  });

  it('changes nothing when the key file cannot be written, and can print the key instead', async () => {
    await db().updateTable('installation').set({ escrow_public_key: null, escrow_created_at: null }).execute();
    const existing = path.join(dir, 'occupied.key');
    writeFileSync(existing, 'something precious\n');
    const refused = await cli('escrow:init', '--out', existing);
    expect(refused.code).toBe(73);
    expect(readFileSync(existing, 'utf8')).toBe('something precious\n'); // never overwritten
    expect(await escrowPublicKey()).toBeNull(); // rolled back: no report is sealed to a lost key

    const printed = await cli('escrow:init');
    expect(printed.code).toBe(0);
    expect(printed.out).toContain('only this once');
    const privateKey = parseEscrowKeyFile(printed.out)!;
    expect(privateKey).toHaveLength(32);
    expect(await escrowPublicKey()).not.toBeNull();
  });
});

describe('npm run cli -- escrow:open', () => {
  it("prints a case's decrypted report with the offline key, and audits the opening without content", async () => {
    await db().updateTable('installation').set({ escrow_public_key: null, escrow_created_at: null }).execute();
    const file = path.join(dir, 'open.key');
    expect((await cli('escrow:init', '--out', file)).code).toBe(0);
    const payload = { description: '疑似窃听器，藏在茶叶罐里', waybills: ['SF1234567890'] };
    const reportId = await sealedReport('JD-2026-000123', payload, await escrowPublicKey());

    const res = await cli('escrow:open', '--case', 'JD-2026-000123', '--key-file', file);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out)).toEqual({ caseNumber: 'JD-2026-000123', payload });
    const audit = await db().selectFrom('audit_log').selectAll().where('event', '=', 'escrow.opened').executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_kind: 'cli', case_id: reportId });
    expect(JSON.stringify(audit)).not.toContain('茶叶罐');
    expect(JSON.stringify(audit)).not.toContain('SF1234567890');
  });

  it('fails clearly on a wrong key, a bad or missing key file, an unknown case, or a report without an escrow grant', async () => {
    const other = path.join(dir, 'other.key');
    const stranger = generateBoxKeyPair();
    writeFileSync(other, formatEscrowKeyFile({ installation: 'elsewhere', createdAt: new Date(), ...stranger }));
    const wrong = await cli('escrow:open', '--case', 'JD-2026-000123', '--key-file', other);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('does not open');
    expect(wrong.out).toBe('');

    const garbage = path.join(dir, 'garbage.key');
    writeFileSync(garbage, 'not a key\nat all\n');
    expect((await cli('escrow:open', '--case', 'JD-2026-000123', '--key-file', garbage)).code).toBe(65);
    expect((await cli('escrow:open', '--case', 'JD-2026-000123', '--key-file', path.join(dir, 'missing.key'))).code).toBe(66);
    expect((await cli('escrow:open', '--case', 'JD-2026-000123')).code).toBe(64);

    const file = path.join(dir, 'open.key');
    expect((await cli('escrow:open', '--case', 'NO-SUCH-CASE', '--key-file', file)).err).toContain('no report with that case number');
    await sealedReport('JD-2026-000124', { description: 'before escrow' }, null);
    const noGrant = await cli('escrow:open', '--case', 'JD-2026-000124', '--key-file', file);
    expect(noGrant.code).toBe(1);
    expect(noGrant.err).toContain('before the escrow key existed');
  });

  it('reads a bare base64 key as well as the key file format', () => {
    const keys = generateBoxKeyPair();
    const b64 = Buffer.from(keys.privateKey).toString('base64');
    expect(Buffer.from(parseEscrowKeyFile(`${b64}\n`)!)).toEqual(Buffer.from(keys.privateKey));
    expect(Buffer.from(parseEscrowKeyFile(formatEscrowKeyFile({ installation: 'x', createdAt: new Date(0), ...keys }))!)).toEqual(Buffer.from(keys.privateKey));
    expect(parseEscrowKeyFile('private-key: AAAA')).toBeNull();
    expect(fromBase64(b64)).toHaveLength(32);
  });
});
