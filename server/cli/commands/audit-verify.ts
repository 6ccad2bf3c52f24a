import { resolve } from 'node:path';
import { alertReasonOf, verifyAuditChain, type ChainBreak } from '../../core/audit/verify.js';
import { checkpointDir, readCheckpoints } from '../../core/audit/checkpoints.js';
import { auditKeysOf } from '../../core/audit/keys.js';
import { recordAlertEvent } from '../../core/alerts/events.js';
import { EXIT, type CliCommand } from './types.js';

const REASONS: Record<ChainBreak, string> = {
  hash_mismatch: 'row contents do not match its hash',
  link_mismatch: 'prev_hash does not match the previous row',
  version_regressed: 'an unkeyed row follows keyed ones',
  unknown_version: 'unknown chain version',
  checkpoint_mismatch: 'the row differs from the one a checkpoint recorded',
  head_behind_checkpoint: 'a checkpoint records later rows than the database holds: the newest entries were removed',
};

export const auditVerifyCommand: CliCommand = {
  name: 'audit:verify',
  summary: 'recompute the keyed audit chain and hold it against the checkpoints; exits 1 and names the first broken row',
  usage: 'audit:verify [--checkpoints <dir>]   (default: DATA_DIR/audit-checkpoints; every *.jsonl in it is read)',
  options: { checkpoints: { type: 'string' } },
  async run(ctx, values) {
    const dir = typeof values.checkpoints === 'string' ? resolve(values.checkpoints) : checkpointDir(ctx.config.dataDir);
    const { checkpoints, problems, files } = await readCheckpoints(dir, auditKeysOf(ctx.db).checkpoint);
    const forged = problems.filter((p) => !p.torn);
    for (const p of problems) {
      const what = p.torn ? 'unfinished last line (ignored)' : 'not a valid checkpoint: altered, or written with another secrets file';
      ctx.err(`${p.torn ? 'warning' : 'error'}: ${p.file} line ${p.line}: ${what}`);
    }
    const verdict = await verifyAuditChain(ctx.db, checkpoints);
    if (!verdict.ok) {
      // Admins hear at once (alert outbox; delivered by the running app).
      await recordAlertEvent(ctx.db, { type: 'audit.verification_failed', reason: alertReasonOf(verdict.reason) });
      const by = verdict.instance ? `, checkpoint of instance ${verdict.instance}` : '';
      ctx.out(`audit chain BROKEN at seq ${verdict.brokenSeq} (${REASONS[verdict.reason]}${by})`);
      return EXIT.failure;
    }
    const unkeyed = verdict.unkeyedRows ? `; ${verdict.unkeyedRows} unkeyed rows from before the chain was keyed` : '';
    ctx.out(`audit chain OK (${verdict.rows} rows${unkeyed})`);
    if (files === 0) {
      ctx.err(`warning: no checkpoint files in ${dir}: removal of the newest entries cannot be detected`);
    } else {
      const newest = checkpoints.reduce<(typeof checkpoints)[number] | null>((a, c) => (!a || c.seq > a.seq ? c : a), null);
      const instances = new Set(checkpoints.map((c) => c.instance)).size;
      ctx.out(`checkpoints OK (${verdict.checkpointsMatched} from ${instances} instances${newest ? `, newest at seq ${newest.seq}, ${newest.at}` : ''})`);
    }
    if (forged.length) {
      await recordAlertEvent(ctx.db, { type: 'audit.verification_failed', reason: 'checkpoint' });
      ctx.out(`checkpoint files BROKEN (${forged.length} invalid lines)`);
      return EXIT.failure;
    }
    return EXIT.ok;
  },
};
