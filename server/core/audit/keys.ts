import type { Kysely, KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import type { DB } from '../db/schema.js';
import type { ServerSecrets } from '../config.js';
import { auditChainKey, auditCheckpointKey } from '../crypto/index.js';

/** The two audit keys: both derived from the secrets file, never stored in the database. */
export type AuditKeys = { readonly chain: Uint8Array; readonly checkpoint: Uint8Array };

export function auditKeysFrom(secrets: ServerSecrets): AuditKeys {
  return { chain: auditChainKey(secrets), checkpoint: auditCheckpointKey(secrets) };
}

/**
 * Carries the audit keys on a database handle. A Kysely plugin travels into every transaction
 * opened from the handle, so appendAudit(trx, …) finds the key of the installation whose database
 * it writes to, without every caller passing it along. It leaves queries and results untouched.
 */
class AuditKeysPlugin implements KyselyPlugin {
  constructor(readonly keys: AuditKeys) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

/** The same database, with the audit keys attached (main.ts, the CLI and test apps call this once). */
export function withAuditKeys(db: Kysely<DB>, keys: AuditKeys): Kysely<DB> {
  return db.withPlugin(new AuditKeysPlugin(keys));
}

/** The audit keys attached to `db` or to the handle a transaction came from. */
export function auditKeysOf(db: Kysely<DB>): AuditKeys {
  const plugins = db.getExecutor().plugins;
  for (let i = plugins.length - 1; i >= 0; i--) {
    const plugin = plugins[i];
    if (plugin instanceof AuditKeysPlugin) return plugin.keys;
  }
  throw new Error('The audit chain key is not configured on this database handle (withAuditKeys)');
}
