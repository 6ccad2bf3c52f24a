import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { CryptoError, openJson, openSealedKey, unwrapKey } from '../../server/core/crypto/index.js';
import type { BoxKeyPair } from '../../server/core/crypto/index.js';
import { caseAction, fileReport, post, signedIn, type Actor } from './case-fixtures.js';

/**
 * "Enforced by cryptography, not only by an access rule": a reviewer who has every byte of the
 * database and their own password still cannot open an identity until a custodian re-seals KI
 * to them.
 */

let t: TestApp;
let reviewer: Actor;
let custodian: Actor;
let report: { reportId: string; caseNumber: string };
const db = () => t.database.db;

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await signedIn(t);
  custodian = await signedIn(t, { custodian: true });
  report = await fileReport(t, { identity: { name: '钱九', idNumber: '440301198807070011', consent: 'confidential' } });
});
afterAll(async () => {
  await t.close();
});

/** What the reviewer can reach with the database and their password: their own unwrapped key pair. */
async function reviewerKeyPair(): Promise<BoxKeyPair> {
  const row = await db().selectFrom('staff').selectAll().where('id', '=', reviewer.staff.id).executeTakeFirstOrThrow();
  const kek = await t.ctx.kdf.deriveKek(reviewer.staff.password, new Uint8Array(row.kek_salt!), row.kek_cost ?? undefined);
  return { publicKey: new Uint8Array(row.public_key!), privateKey: unwrapKey(new Uint8Array(row.wrapped_private_key!), kek) };
}

/** Every key any grant row in the database yields to this key pair. */
async function everyKeyThatOpens(pair: BoxKeyPair): Promise<Uint8Array[]> {
  const grants = await db().selectFrom('report_key_grants').select(['sealed_key']).execute();
  const keys: Uint8Array[] = [];
  for (const g of grants) {
    try {
      keys.push(openSealedKey(new Uint8Array(g.sealed_key), pair));
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
    }
  }
  return keys;
}

function opensIdentity(keys: Uint8Array[], sealed: Uint8Array): boolean {
  return keys.some((key) => {
    try {
      openJson(key, 'identity', report.reportId, sealed);
      return true;
    } catch {
      return false;
    }
  });
}

describe('identity without a grant', () => {
  it('cannot be decrypted with everything the reviewer holds, even with full database access', async () => {
    const pair = await reviewerKeyPair();
    const { identity_sealed } = await db().selectFrom('reports').select('identity_sealed').where('id', '=', report.reportId).executeTakeFirstOrThrow();
    const own = await db().selectFrom('report_key_grants').select(['key_kind']).where('recipient_id', '=', reviewer.staff.id).where('report_id', '=', report.reportId).execute();
    expect(own.map((g) => g.key_kind).sort()).toEqual(['notes', 'report']); // K and KN, never KI
    const keys = await everyKeyThatOpens(pair);
    expect(keys.length).toBeGreaterThanOrEqual(2); // the reviewer's K and KN do open…
    expect(opensIdentity(keys, new Uint8Array(identity_sealed!))).toBe(false); // …but nothing opens the identity
  });

  it('opens once a custodian approves, because the custodian sealed KI to the reviewer', async () => {
    await caseAction(reviewer.agent, report.caseNumber, 'identity-requests', { reason: '核实' });
    const request = await db().selectFrom('identity_requests').select('id').where('report_id', '=', report.reportId).executeTakeFirstOrThrow();
    const res = await post(custodian.agent, '/staff/identity-requests', `/staff/identity-requests/${request.id}/decision`, { decision: 'approve', reason: '同意' });
    expect(res.status).toBe(303);
    const { identity_sealed } = await db().selectFrom('reports').select('identity_sealed').where('id', '=', report.reportId).executeTakeFirstOrThrow();
    expect(opensIdentity(await everyKeyThatOpens(await reviewerKeyPair()), new Uint8Array(identity_sealed!))).toBe(true);
  });
});
