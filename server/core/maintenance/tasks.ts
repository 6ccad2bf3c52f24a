import type { MaintenanceTask } from './runner.js';
import { purgeExpiredSessions } from '../sessions/store.js';
import { purgeOldRateLimits } from '../rate-limit.js';
import { purgeExpiredStagedAttachments } from '../intake/maintenance.js';
import { summariseFinishedFailures } from '../accounts/failures.js';

/** Every housekeeping task, in the order a round runs them. */
export const MAINTENANCE_TASKS: readonly MaintenanceTask[] = [
  { name: 'expired-sessions', run: (db, now) => purgeExpiredSessions(db, now) },
  // A counter no sliding window reads any more only helps someone holding the rate-limit key to
  // test which addresses used the service. Drop it.
  { name: 'old-rate-limits', run: (db, now) => purgeOldRateLimits(db, now) },
  // One audit row per account and finished hour of failed sign-ins, instead of one per attempt.
  { name: 'sign-in-failures', run: (db, now) => summariseFinishedFailures(db, now) },
  { name: 'expired-staged-uploads', run: async (db, now) => void (await purgeExpiredStagedAttachments(db, now)) },
];
