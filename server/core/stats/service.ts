import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Executor } from '../db/executor.js';
import { appendAudit } from '../audit/repository.js';
import type { SlaPolicy } from '../queue/sla.js';
import { OUTER_FIRST_FEEDBACK_MS } from '../queue/sla.js';
import * as repo from './repository.js';
import * as rollup from './rollup.js';
import type { StatsFilter } from './schema.js';

/** Every aggregate the statistics page, the monthly report and the exports show, before labels and suppression. */
export type StatsData = {
  readonly filter: StatsFilter;
  readonly policy: SlaPolicy;
  readonly weeklyByChannel: rollup.WeekCount[];
  readonly weeklyByCategory: rollup.WeekCount[];
  readonly byProvince: { key: string | null; n: number }[];
  readonly timings: repo.TimingRow;
  readonly backlog: { bucket: number; n: number }[];
  readonly outcomes: { key: string; n: number }[];
  readonly referrals: { key: string; n: number }[];
  readonly identityRequests: { key: string; n: number }[];
  readonly participation: repo.CompanyParticipation[];
};

/**
 * Brings the daily roll-up up to date (the days changed since the last read), then runs the
 * statistics queries one after another: the embedded database has a single connection, and on
 * PostgreSQL each is a read of the roll-up's days or an index range scan. `histogramAbove`: how
 * many tips an unfiltered range must exceed for its timing figures to come from the roll-up
 * (repository.HISTOGRAM_ABOVE; a test sets 0 or Infinity to force either way).
 */
export async function loadStatistics(db: Executor, filter: StatsFilter, policy: SlaPolicy, now = new Date(), opts: { histogramAbove?: number } = {}): Promise<StatsData> {
  const feedbackWindowSeconds = Math.min(policy.feedbackDays * 86_400, OUTER_FIRST_FEEDBACK_MS / 1000);
  await rollup.refreshStaleDays(db);
  const flows = await rollup.flowTotals(db, filter);
  return {
    filter,
    policy,
    weeklyByChannel: await rollup.weeklyByChannel(db, filter),
    weeklyByCategory: await rollup.weeklyByCategory(db, filter),
    byProvince: await rollup.byProvince(db, filter),
    timings: await repo.timings(db, filter, feedbackWindowSeconds, now, opts.histogramAbove),
    backlog: await rollup.openBacklog(db, filter, now, repo.reportFilter(filter, { dates: false })),
    outcomes: flows.outcomes,
    referrals: flows.referrals,
    identityRequests: await repo.identityRequests(db, filter),
    participation: await repo.participation(db, filter),
  };
}

export type ExportFormat = 'csv' | 'xlsx';

/**
 * Records an export before the file is sent: who, which format, which filters or month. An
 * export leaves the workspace, so it is audited even though it carries aggregates only.
 */
export async function recordStatsExport(db: Kysely<DB>, staffId: string, format: ExportFormat, filter: StatsFilter, month: string | null): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await appendAudit(trx, {
      actorKind: 'staff',
      actorId: staffId,
      event: 'stats.exported',
      details: { format, from: filter.from, to: filter.to, channel: filter.channel ?? null, province: filter.province ?? null, category: filter.category ?? null, month },
    });
  });
}
