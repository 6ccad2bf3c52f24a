import type { Kysely, Transaction } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import { appendAudit } from '../audit/repository.js';
import { defaultSettings, isSettingKey, SETTING_DEFINITIONS, SETTING_KEYS, type SettingKey, type Settings } from './definitions.js';
import { listStoredSettings, storeSetting } from './repository.js';

/**
 * Settings are read often (deadlines at every submission, the organisation name on every page) and
 * changed rarely, so each process keeps them for a few seconds. Another instance sees a change within
 * that time; the instance that made it sees it at once.
 */
const CACHE_MS = 5_000;
const cache = new WeakMap<object, { at: number; settings: Settings }>();

type SettingsSource = { readonly database: { readonly db: Kysely<DB> }; readonly config: Config };

/**
 * The settings in force: environment defaults, overridden by whatever an administrator changed.
 * Inside a transaction pass it as `via`: the embedded database has one connection, which the
 * transaction holds.
 */
export async function readSettings(ctx: SettingsSource, via: Kysely<DB> | Transaction<DB> = ctx.database.db, opts: { fresh?: boolean } = {}): Promise<Settings> {
  const db = ctx.database.db;
  const now = Date.now();
  const hit = cache.get(db);
  if (hit && !opts.fresh && now - hit.at < CACHE_MS) return hit.settings;
  const settings = { ...defaultSettings(ctx.config) } as Record<SettingKey, unknown>;
  for (const stored of await listStoredSettings(via)) {
    if (!isSettingKey(stored.key)) continue; // a setting a later version removed
    const parsed = SETTING_DEFINITIONS[stored.key].schema.safeParse(stored.value);
    // A stored value that no longer validates (a bound was tightened) falls back to the default.
    if (parsed.success) settings[stored.key] = parsed.data;
  }
  const frozen = Object.freeze(settings) as Settings;
  cache.set(db, { at: now, settings: frozen });
  return frozen;
}

export type SettingsChange = { ok: true; changed: SettingKey[] } | { ok: false; errors: { field: SettingKey; messageKey: string }[] };

/**
 * Validates and stores the submitted values (form text) of the given keys in one transaction,
 * with one audit event naming what changed and to what. Nothing is stored if any value is invalid.
 */
export async function changeSettings(
  ctx: SettingsSource,
  actor: { id: string } | null,
  submitted: Partial<Record<SettingKey, unknown>>,
): Promise<SettingsChange> {
  const db = ctx.database.db;
  const current = await readSettings(ctx, db, { fresh: true });
  const values: Partial<Record<SettingKey, unknown>> = {};
  const errors: { field: SettingKey; messageKey: string }[] = [];
  for (const key of SETTING_KEYS) {
    if (!(key in submitted)) continue;
    const parsed = SETTING_DEFINITIONS[key].schema.safeParse(submitted[key]);
    if (!parsed.success) errors.push({ field: key, messageKey: parsed.error.issues[0]?.message ?? 'settings.errors.invalid' });
    else if (JSON.stringify(parsed.data) !== JSON.stringify(current[key])) values[key] = parsed.data;
  }
  if (errors.length > 0) return { ok: false, errors };
  const changed = Object.keys(values) as SettingKey[];
  if (changed.length === 0) return { ok: true, changed };
  await db.transaction().execute(async (trx) => {
    for (const key of changed) await storeSetting(trx, key, values[key], actor?.id ?? null);
    await appendAudit(trx, { actorKind: actor ? 'staff' : 'cli', actorId: actor?.id ?? null, event: 'settings.changed', details: values as Record<string, string | number | boolean> });
  });
  cache.delete(db);
  return { ok: true, changed };
}
