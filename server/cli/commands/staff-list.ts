import { listStaffAccounts } from '../../core/accounts/service.js';
import { depsOf, EXIT, type CliCommand } from './types.js';

export const staffListCommand: CliCommand = {
  name: 'staff:list',
  summary: 'list staff accounts with role, custodian flag and status',
  usage: 'staff:list',
  options: {},
  async run(ctx) {
    const staff = await listStaffAccounts(depsOf(ctx));
    if (staff.length === 0) {
      ctx.out('No staff accounts yet. Create the first admin with: npm run cli -- staff:create --role admin --username NAME');
      return EXIT.ok;
    }
    const width = Math.max(8, ...staff.map((s) => s.username.length));
    ctx.out(`${'username'.padEnd(width)}  role      custodian  status       created`);
    for (const s of staff) {
      const custodian = s.isCustodian ? 'yes' : 'no';
      ctx.out(`${s.username.padEnd(width)}  ${s.role.padEnd(8)}  ${custodian.padEnd(9)}  ${s.status.padEnd(11)}  ${s.createdAt.toISOString().slice(0, 10)}`);
    }
    return EXIT.ok;
  },
};
