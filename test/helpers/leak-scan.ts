import { sql, type Kysely } from 'kysely';
import type { DB } from '../../server/core/db/schema.js';

/** One row of one table, rendered as searchable text. */
export type DumpedRow = { readonly table: string; readonly text: string };

/**
 * Renders a column value so that a search finds anything stored in clear: text as it is, byte
 * columns both as hex and as (lossy) UTF-8, so a plaintext canary written into a bytea column is
 * found too, while ciphertext stays noise.
 */
function render(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Uint8Array) return `${Buffer.from(value).toString('hex')} ${Buffer.from(value).toString('utf8')}`;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(render).join(' ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Every row of every table in the public schema (a logical pg_dump), one entry per row. */
export async function dumpDatabase(db: Kysely<DB>): Promise<DumpedRow[]> {
  const { rows: tables } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const dumped: DumpedRow[] = [];
  for (const { table_name: table } of tables) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
    for (const row of rows) dumped.push({ table, text: Object.values(row).map(render).join(' | ') });
  }
  return dumped;
}

/** The (table, canary) pairs where a canary appears in the database dump. */
export function findCanaries(dump: readonly DumpedRow[], canaries: readonly string[]): { table: string; canary: string }[] {
  const found: { table: string; canary: string }[] = [];
  for (const row of dump) for (const canary of canaries) if (row.text.includes(canary)) found.push({ table: row.table, canary });
  return found;
}
