import { OrganisationError, revokeInvite } from '../../core/organisations/service.js';
import { EXIT, type CliCommand } from './types.js';

export const inviteRevokeCommand: CliCommand = {
  name: 'invite:revoke',
  summary: 'revoke an invite code so nobody else can join with it (accounts already made stay)',
  usage: 'invite:revoke --code CODE',
  options: { code: { type: 'string' } },
  async run(ctx, values) {
    if (typeof values.code !== 'string' || values.code.trim() === '') {
      ctx.err('--code: give the invite code to revoke');
      return EXIT.usage;
    }
    try {
      await revokeInvite(ctx.db, { kind: 'cli' }, { code: values.code });
      ctx.out('Invite code revoked.');
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof OrganisationError)) throw err;
      ctx.err(err.code === 'already_revoked' ? 'that invite code was already revoked' : 'no such invite code');
      return EXIT.dataError;
    }
  },
};
