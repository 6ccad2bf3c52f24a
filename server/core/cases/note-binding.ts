import type { RecordBinding } from '../crypto/index.js';

/**
 * What an internal note's body is bound to (record version 2): notes are written by staff only,
 * and the row's author id is bound, so a note cannot be passed off as a colleague's.
 */
export function noteBinding(authorId: string): RecordBinding {
  return { author_kind: 'staff', author_id: authorId };
}
