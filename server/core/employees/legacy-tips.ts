/**
 * Tips filed before tags existed (migration 20261201_1400): the migration sealed each employee's
 * list of tip ids to the account's public key and dropped reports.employee_id. At the next sign-in,
 * with the private key unlocked, each listed tip gets the account's next tag, its reporter grants
 * are re-sealed from the account key to the tip's own key, and the sealed list is cleared.
 */
import { CryptoError, fromUtf8, openSealedKey, resealKey, type BoxKeyPair } from '../crypto/index.js';
import type { Executor } from '../db/executor.js';
import { clearPendingTips, findPendingTips, findUntaggedTipGrants, tagTip } from './repository.js';
import { findOwnTips, newTipKeys, tipSecretOf } from './tip-index.js';

function pendingIds(sealed: Uint8Array, account: BoxKeyPair): string[] | null {
  try {
    const list = JSON.parse(fromUtf8(openSealedKey(sealed, account)).trimEnd()) as { reports?: unknown };
    return Array.isArray(list.reports) ? list.reports.filter((id): id is string => typeof id === 'string') : null;
  } catch (err) {
    if (err instanceof CryptoError || err instanceof SyntaxError) return null;
    throw err;
  }
}

/** Tags the account's pre-tag tips; returns how many. Runs in the sign-in transaction. */
export async function adoptPendingTips(trx: Executor, employeeId: string, account: BoxKeyPair): Promise<number> {
  const sealed = await findPendingTips(trx, employeeId);
  if (!sealed) return 0;
  const ids = pendingIds(sealed, account);
  // A list that does not open with this account's key is not its list: leave it for an operator.
  if (ids === null) return 0;
  const secret = tipSecretOf(account.privateKey);
  let { nextOrdinal } = await findOwnTips(trx, secret);
  let adopted = 0;
  for (const reportId of ids) {
    const grants = await findUntaggedTipGrants(trx, reportId);
    if (grants.length === 0) continue;
    const { tag, pair } = newTipKeys(secret, nextOrdinal);
    pair.privateKey.fill(0);
    try {
      const resealed = grants.map((g) => ({ id: g.id, sealedKey: resealKey(new Uint8Array(g.sealed_key), account, pair.publicKey) }));
      await tagTip(trx, reportId, tag, pair.publicKey, resealed);
      nextOrdinal++;
      adopted++;
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
    }
  }
  secret.fill(0);
  await clearPendingTips(trx, employeeId);
  return adopted;
}
