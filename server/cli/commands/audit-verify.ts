import { verifyAuditChain } from '../../core/audit/verify.js';
import { EXIT, type CliCommand } from './types.js';

export const auditVerifyCommand: CliCommand = {
  name: 'audit:verify',
  summary: 'recompute the audit log hash chain; exits 1 and names the first broken row if it was altered',
  usage: 'audit:verify',
  options: {},
  async run(ctx) {
    const verdict = await verifyAuditChain(ctx.db);
    if (verdict.ok) {
      ctx.out(`audit chain OK (${verdict.rows} rows)`);
      return EXIT.ok;
    }
    const reason = verdict.reason === 'hash_mismatch' ? 'row contents do not match its hash' : 'prev_hash does not match the previous row';
    ctx.out(`audit chain BROKEN at seq ${verdict.brokenSeq} (${reason})`);
    return EXIT.failure;
  },
};
