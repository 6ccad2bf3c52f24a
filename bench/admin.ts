import pg from 'pg';
import type { Kysely } from 'kysely';
import type { DB } from '../server/core/db/schema.js';

/** One statement on its own connection (create/drop the benchmark's scratch database). */
export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** How many reports the benchmark database holds. */
export async function countReports(db: Kysely<DB>): Promise<number> {
  return Number((await db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
}
