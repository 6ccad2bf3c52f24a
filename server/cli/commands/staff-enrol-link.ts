import { findStaffIdByUsername, reissueEnrolmentLink } from '../../core/accounts/service.js';
import { depsOf, EXIT, requiredUsername, type CliCommand } from './types.js';

export const staffEnrolLinkCommand: CliCommand = {
  name: 'staff:enrol-link',
  summary: 'issue a new enrolment URL for an account that has not finished enrolling (the old one stops working)',
  usage: 'staff:enrol-link --username NAME',
  options: { username: { type: 'string' } },
  async run(ctx, values) {
    const username = requiredUsername(ctx, values);
    if (username === null) return EXIT.usage;
    const id = await findStaffIdByUsername(depsOf(ctx), username);
    const link = id ? await reissueEnrolmentLink(depsOf(ctx), id, { kind: 'cli' }) : null;
    if (!link) {
      ctx.err(`no staff account named "${username}" is waiting to enrol`);
      return EXIT.dataError;
    }
    ctx.out(`New one-time enrolment URL for "${username}", valid until ${link.expiresAt.toISOString()}:`);
    ctx.out(`  ${link.url}`);
    return EXIT.ok;
  },
};
