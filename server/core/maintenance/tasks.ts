import type { MaintenanceTask } from './runner.js';
import { purgeExpiredSessions } from '../sessions/store.js';
import { purgeOldRateLimits } from '../rate-limit.js';
import { purgeExpiredStagedAttachments } from '../intake/maintenance.js';
import { summariseFinishedFailures } from '../accounts/failures.js';
import { refreshStaleDays } from '../stats/rollup.js';

/** Every housekeeping task, in the order a round runs them. */
export const MAINTENANCE_TASKS: readonly MaintenanceTask[] = [
  { name: 'expired-sessions', run: (db, now) => purgeExpiredSessions(db, now) },
  // A counter no sliding window reads any more only helps someone holding the rate-limit key to
  // test which addresses used the service. Drop it.
  { name: 'old-rate-limits', run: (db, now) => purgeOldRateLimits(db, now) },
  // One audit row per account and finished hour of failed sign-ins, instead of one per attempt.
  { name: 'sign-in-failures', run: (db, now) => summariseFinishedFailures(db, now) },
  { name: 'expired-staged-uploads', run: async (db, now) => void (await purgeExpiredStagedAttachments(db, now)) },
  // The statistics roll-up, brought up to date in the background: a statistics request then
  // rebuilds only the days changed since this round, and the full build after an upgrade (every
  // day marked) happens here, soon after start, rather than in someone's request. Last, because a
  // full build is minutes at millions of reports and holds the round's transaction that long.
  { name: 'stats-rollup', run: async (db) => void (await refreshStaleDays(db)) },
];
