import { deactivateStaff, findStaffIdByUsername } from '../../core/accounts/service.js';
import { depsOf, EXIT, requiredUsername, type CliCommand } from './types.js';

export const staffDeactivateCommand: CliCommand = {
  name: 'staff:deactivate',
  summary: 'deactivate a staff account and end all of its sessions at once',
  usage: 'staff:deactivate --username NAME',
  options: { username: { type: 'string' } },
  async run(ctx, values) {
    const username = requiredUsername(ctx, values);
    if (username === null) return EXIT.usage;
    const id = await findStaffIdByUsername(depsOf(ctx), username);
    if (!id) {
      ctx.err(`no staff account named "${username}"`);
      return EXIT.dataError;
    }
    const outcome = await deactivateStaff(depsOf(ctx), id, { kind: 'cli' });
    if (outcome === 'already') {
      ctx.out(`"${username}" was already deactivated.`);
      return EXIT.ok;
    }
    if (outcome !== 'deactivated') {
      ctx.err(`could not deactivate "${username}" (${outcome})`);
      return EXIT.failure;
    }
    ctx.out(`Deactivated "${username}"; all of its sessions have ended.`);
    return EXIT.ok;
  },
};
