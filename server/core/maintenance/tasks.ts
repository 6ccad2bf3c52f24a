import type { MaintenanceTask } from './runner.js';
import { purgeExpiredSessions } from '../sessions/store.js';
import { purgeOldRateLimits } from '../rate-limit.js';
import { purgeExpiredStagedAttachments } from '../intake/maintenance.js';

/** Every housekeeping task, in the order a round runs them. */
export const MAINTENANCE_TASKS: readonly MaintenanceTask[] = [
  { name: 'expired-sessions', run: (db, now) => purgeExpiredSessions(db, now) },
  // Yesterday's counters are keyed with yesterday's address salt: once the day is over they only
  // help someone holding the rate-limit key to test which addresses used the service. Drop them.
  { name: 'old-rate-limits', run: (db, now) => purgeOldRateLimits(db, now) },
  { name: 'expired-staged-uploads', run: async (db, now) => void (await purgeExpiredStagedAttachments(db, now)) },
];
