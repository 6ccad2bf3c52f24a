import { openCaseWithEscrow } from '../../core/escrow/service.js';
import { EXIT, readPrivateKeyFile, type CliCommand } from './types.js';

const REASONS = {
  noEscrow: 'this installation has no escrow key (escrow:init was never run)',
  notFound: 'no report with that case number',
  noGrant: 'that report was submitted before the escrow key existed, so it is not sealed to it',
  wrongKey: 'the key file does not open this report (is it the escrow key of this installation?)',
  shredded: 'that report was deleted under the retention policy: its keys and content no longer exist',
} as const;

export const escrowOpenCommand: CliCommand = {
  name: 'escrow:open',
  summary: "print a case's decrypted report using the offline escrow private key (audited)",
  usage: 'escrow:open --case CASE_NUMBER --key-file FILE',
  options: { case: { type: 'string' }, 'key-file': { type: 'string' } },
  async run(ctx, values) {
    const caseNumber = typeof values.case === 'string' ? values.case.trim() : '';
    const keyPath = values['key-file'];
    if (!caseNumber || typeof keyPath !== 'string') {
      ctx.err('--case and --key-file are required');
      return EXIT.usage;
    }
    const privateKey = await readPrivateKeyFile(ctx, keyPath, 'an escrow private key');
    if (typeof privateKey === 'number') return privateKey;
    const result = await openCaseWithEscrow(ctx.db, caseNumber, privateKey);
    privateKey.fill(0);
    if (!result.ok) {
      ctx.err(REASONS[result.reason]);
      return EXIT.failure;
    }
    ctx.out(JSON.stringify({ caseNumber: result.caseNumber, payload: result.payload }, null, 2));
    return EXIT.ok;
  },
};
