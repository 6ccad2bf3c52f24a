/**
 * Which tips are this employee's, from material only the employee's private key yields (docs/crypto.md
 * §3): the tip secret S, the tags HMAC(S, n) of the n-th tip and each tip's derived reporter key
 * pair. The database holds tags and public keys that nothing without S relates to the account, so
 * "my tips" needs a signed-in session, and whoever holds the database cannot list them.
 */
import {
  constantTimeEqual,
  employeeTipKeyPair,
  employeeTipSecret,
  employeeTipTag,
  hmacSha256,
  toHex,
  utf8,
  type BoxKeyPair,
} from '../crypto/index.js';
import type { Executor } from '../db/executor.js';
import { listTipsByTags } from './repository.js';

/** Tags asked for at a time. Ordinals are dense (a tag is only written with its tip), so a batch short of full is the last. */
const PROBE = 32;

export { employeeTipSecret as tipSecretOf };

type TaggedRow = { employee_tip_tag: Uint8Array | null; reporter_public_key: Uint8Array };

/** The tip's own key pair when the row's tag and reporter key are both S's; otherwise null. */
export function tipKeyPair(secret: Uint8Array, row: TaggedRow): BoxKeyPair | null {
  if (!row.employee_tip_tag) return null;
  const pair = employeeTipKeyPair(secret, new Uint8Array(row.employee_tip_tag));
  if (constantTimeEqual(pair.publicKey, new Uint8Array(row.reporter_public_key))) return pair;
  pair.privateKey.fill(0);
  return null;
}

function ownsTip(secret: Uint8Array, row: TaggedRow): boolean {
  const pair = tipKeyPair(secret, row);
  pair?.privateKey.fill(0);
  return pair !== null;
}

export type OwnTipRow = Awaited<ReturnType<typeof listTipsByTags>>[number];

/**
 * Every tip of the employee (only rows whose key matches too, so a tag copied onto another row is
 * not taken for theirs) and the ordinal their next tip gets.
 */
export async function findOwnTips(db: Executor, secret: Uint8Array): Promise<{ tips: OwnTipRow[]; nextOrdinal: number }> {
  const tips: OwnTipRow[] = [];
  for (let base = 0; ; base += PROBE) {
    const tags = Array.from({ length: PROBE }, (_, i) => employeeTipTag(secret, base + i));
    const rows = await listTipsByTags(db, tags);
    tips.push(...rows.filter((r) => ownsTip(secret, r)));
    if (rows.length < PROBE) {
      const found = rows.map((r) => tags.findIndex((t) => constantTimeEqual(t, new Uint8Array(r.employee_tip_tag!))));
      return { tips, nextOrdinal: found.length === 0 ? base : base + Math.max(...found) + 1 };
    }
  }
}

/** The tag and reporter key pair of the employee's n-th tip. */
export function newTipKeys(secret: Uint8Array, ordinal: number): { tag: Uint8Array; pair: BoxKeyPair } {
  const tag = employeeTipTag(secret, ordinal);
  return { tag, pair: employeeTipKeyPair(secret, tag) };
}

/** A stable, account-specific name for rate limits that only the account's key yields: hex HMAC(S, "rate-limit"). */
export function tipRateLimitSubject(accountPrivateKey: Uint8Array): string {
  const secret = employeeTipSecret(accountPrivateKey);
  const subject = toHex(hmacSha256(secret, utf8('rate-limit')));
  secret.fill(0);
  return subject;
}
