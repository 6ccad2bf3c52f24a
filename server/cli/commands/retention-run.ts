import { readSettings } from '../../core/settings/service.js';
import { periodsFrom } from '../../core/retention/policy.js';
import { runRetention } from '../../core/retention/run.js';
import { EXIT, type CliCommand } from './types.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Runs retention now (as the hourly job does), or as of another day: `--as-of` shows what a later
 * run would do (with `--dry-run`) or, after restoring a backup, applies retention as of today again.
 */
export const retentionRunCommand: CliCommand = {
  name: 'retention:run',
  summary: 'crypto-shred closed cases past their retention period; prints case numbers and counts (audited)',
  usage: 'retention:run [--as-of YYYY-MM-DD] [--dry-run]',
  options: { 'as-of': { type: 'string' }, 'dry-run': { type: 'boolean' } },
  async run(ctx, values) {
    let asOf = new Date();
    const asOfText = values['as-of'];
    if (typeof asOfText === 'string') {
      const parsed = new Date(`${asOfText}T23:59:59.999Z`);
      if (!DATE.test(asOfText) || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== asOfText) {
        ctx.err('--as-of must be a date written YYYY-MM-DD');
        return EXIT.usage;
      }
      asOf = parsed;
    }
    const dryRun = values['dry-run'] === true;
    const periods = periodsFrom(await readSettings({ database: { db: ctx.db }, config: ctx.config }, ctx.db, { fresh: true }));
    const result = await runRetention(ctx.db, periods, { asOf, dryRun, actor: 'cli' });
    ctx.out(
      `retention as of ${asOf.toISOString()}${dryRun ? ' (dry run: nothing changed)' : ''}: ` +
        `unfounded ${periods.unfoundedDays} d, referred ${periods.referredDays} d, other closures ${periods.otherDays} d`,
    );
    for (const item of result.items) {
      const c = item.counts;
      ctx.out(
        `${dryRun ? 'would shred' : 'shredded'} ${item.caseNumber} (${item.rule}): ${c.grants} key grants, ${c.messages} messages, ${c.notes} notes, ` +
          `${c.files} files (${c.chunks} chunks), ${c.identityRequests} identity requests, ${c.referrals} referrals (${c.referralUpdates} updates), ` +
          `${c.blindIndexes} blind-index entries, ${c.links} links`,
      );
    }
    ctx.out(`${result.items.length} case${result.items.length === 1 ? '' : 's'} ${dryRun ? 'would be shredded' : 'shredded'}`);
    return EXIT.ok;
  },
};
