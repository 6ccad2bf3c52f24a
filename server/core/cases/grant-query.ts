import { expressionBuilder, sql, type AliasableExpression, type Expression, type SqlBool } from 'kysely';
import type { DB, KeyKind } from '../db/schema.js';

/**
 * "May this staff member open this report?": they hold a sealed copy of its key of `kind` (K for
 * the report, KI for the reporter's identity). Holding the row is not enough to read anything — the
 * copy opens only with their own private key — but it is the one rule for whether a report exists
 * for them at all, so the queue, the case page (and its links) and custody all ask it here.
 *
 * `reportId` is a column (`sql.ref('r.id')`) or a value (`sql.val(id)`).
 */
export function holdsKeyGrant(reportId: Expression<string>, kind: KeyKind, staffId: string): AliasableExpression<SqlBool> {
  const eb = expressionBuilder<DB, never>();
  return eb.exists(
    eb
      .selectFrom('report_key_grants as g')
      .select(sql.lit(1).as('one'))
      .where('g.report_id', '=', reportId)
      .where('g.key_kind', '=', kind)
      .where('g.recipient_kind', '=', 'staff')
      .where('g.recipient_id', '=', staffId),
  );
}
