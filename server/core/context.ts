import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/index.js';
import type { Kdf } from './crypto/index.js';
import type { ImageJobs } from './images/jobs.js';

/** What the app is built from. Tests build one per database; main.ts builds one per process. */
export type AppContext = {
  readonly config: Config;
  readonly database: Database;
  readonly logger: Logger;
  /** argon2id with the configured cost and a cap on concurrent derivations. */
  readonly kdf: Kdf;
  /** Photo re-encoding, a bounded number at a time with a bounded queue. */
  readonly images: ImageJobs;
};
