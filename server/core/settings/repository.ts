import type { Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Executor } from '../db/executor.js';

export type StoredSetting = { readonly key: string; readonly value: unknown; readonly updatedAt: Date; readonly updatedBy: string | null };

export async function listStoredSettings(db: Executor): Promise<StoredSetting[]> {
  const rows = await db.selectFrom('settings').select(['key', 'value', 'updated_at', 'updated_by']).orderBy('key').execute();
  return rows.map((r) => ({ key: r.key, value: r.value, updatedAt: r.updated_at, updatedBy: r.updated_by }));
}

export async function storeSetting(trx: Transaction<DB>, key: string, value: unknown, updatedBy: string | null): Promise<void> {
  const json = JSON.stringify(value);
  await trx
    .insertInto('settings')
    .values({ key, value: json, updated_at: new Date(), updated_by: updatedBy })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_at: new Date(), updated_by: updatedBy }))
    .execute();
}
