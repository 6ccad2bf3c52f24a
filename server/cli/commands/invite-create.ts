import { z } from 'zod';
import { t } from '../../core/i18n/index.js';
import { inviteForm } from '../../core/organisations/schema.js';
import { OrganisationError, createInvite } from '../../core/organisations/service.js';
import { EXIT, type CliCommand } from './types.js';

export const inviteCreateCommand: CliCommand = {
  name: 'invite:create',
  summary: 'create an invite code for an outlet and print it (shown once; only its hash is stored)',
  usage: 'invite:create --outlet ID --days N --uses N   (defaults: 14 days, 20 uses)',
  options: { outlet: { type: 'string' }, days: { type: 'string', default: '14' }, uses: { type: 'string', default: '20' } },
  async run(ctx, values) {
    const outlet = z.uuid().safeParse(values.outlet);
    if (!outlet.success) {
      ctx.err('--outlet: give the outlet id (see outlet:list)');
      return EXIT.usage;
    }
    const parsed = inviteForm.safeParse({ days: values.days, uses: values.uses });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.err(`--${String(issue.path[0])}: ${t('en', issue.message)}`);
      return EXIT.usage;
    }
    try {
      const invite = await createInvite(ctx.db, { kind: 'cli' }, { outletId: outlet.data, days: parsed.data.days, maxUses: parsed.data.uses });
      ctx.out(`Invite code: ${invite.code}`);
      ctx.out(`Valid until ${invite.expiresAt.toISOString()} for up to ${invite.maxUses} account(s); staff enter it at ${new URL('/employee/join', ctx.config.public.url).href}`);
      ctx.out('Pass it on now: the server keeps only its hash and cannot show it again. Revoke it with invite:revoke --code.');
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof OrganisationError)) throw err;
      ctx.err(`--outlet: no outlet with id ${outlet.data}`);
      return EXIT.dataError;
    }
  },
};
