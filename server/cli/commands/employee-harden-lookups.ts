import { hardenLegacyLookups } from '../../core/employees/lookup.js';
import { EXIT, type CliCommand } from './types.js';

/**
 * Employee accounts from before 2026-11-24 are found by an HMAC of their phone number until they
 * sign in again; this turns each such lookup into an argon2id of it (docs/crypto.md §4.5), so naming
 * them costs one argon2id per guessed number too. One argon2id per account: minutes for thousands.
 */
export const employeeHardenLookupsCommand: CliCommand = {
  name: 'employee:harden-lookups',
  summary: 'replace HMAC phone lookups of accounts not signed in since 2026-11-24 by argon2id ones',
  usage: 'employee:harden-lookups',
  options: {},
  async run(ctx) {
    const done = await hardenLegacyLookups({ config: ctx.config, kdf: ctx.kdf, database: { db: ctx.db } });
    ctx.out(done === 0 ? 'no HMAC lookups left' : `hardened ${done} lookup(s)`);
    return EXIT.ok;
  },
};
