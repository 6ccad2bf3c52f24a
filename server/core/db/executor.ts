import type { Kysely, Transaction } from 'kysely';
import type { DB } from './schema.js';

/** A database handle or a transaction: the caller owns the transaction and passes it down. */
export type Executor = Kysely<DB> | Transaction<DB>;
