import type { RecordBinding } from '../crypto/index.js';

/**
 * What a report's payload is bound to (record version 2): the channel it came in by and when it was
 * created, as the report row says. Relabelling a public tip as an employee's, or back-dating it,
 * makes the payload fail to open.
 */
export function payloadBinding(row: { readonly channel: string; readonly created_at: Date }): RecordBinding {
  return { channel: row.channel, created_at: row.created_at.toISOString() };
}
