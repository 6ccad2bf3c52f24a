import { t } from '../../core/i18n/index.js';
import { createStaffSchema } from '../../core/accounts/schema.js';
import { createStaffAccount } from '../../core/accounts/service.js';
import { alertPreferencesSchema, setEmailFromCli } from '../../core/alerts/service.js';
import { depsOf, EXIT, type CliCommand } from './types.js';

export const staffCreateCommand: CliCommand = {
  name: 'staff:create',
  summary: 'create a staff account and print its one-time enrolment URL (valid 72 hours)',
  usage: 'staff:create --username NAME --role reviewer|admin|analyst [--custodian] [--email ADDRESS]',
  options: { username: { type: 'string' }, role: { type: 'string' }, custodian: { type: 'boolean' }, email: { type: 'string' } },
  async run(ctx, values) {
    const parsed = createStaffSchema.safeParse({
      username: values.username,
      role: values.role,
      custodian: values.custodian ? 'yes' : undefined,
    });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.err(`--${String(issue.path[0])}: ${t('en', issue.message)}`);
      return EXIT.usage;
    }
    // Where alerts reach this person (optional; editable later on the account page).
    const email = typeof values.email === 'string' ? alertPreferencesSchema.shape.email.safeParse(values.email) : null;
    if (email && (!email.success || email.data === null)) {
      ctx.err(`--email: ${t('en', 'alerts.errors.email')}`);
      return EXIT.usage;
    }
    const link = await createStaffAccount(depsOf(ctx), parsed.data, { kind: 'cli' });
    if (link === 'taken') {
      ctx.err(`a staff account named "${parsed.data.username}" already exists`);
      return EXIT.dataError;
    }
    if (email?.data) await setEmailFromCli({ config: ctx.config, database: { db: ctx.db } }, link.id, email.data);
    const what = parsed.data.role !== 'reviewer' ? parsed.data.role : parsed.data.isCustodian ? 'reviewer (custodian)' : 'reviewer';
    ctx.out(`Created ${what} "${parsed.data.username}".`);
    ctx.out(`One-time enrolment URL, valid until ${link.expiresAt.toISOString()}:`);
    ctx.out(`  ${link.url}`);
    ctx.out('Give it to that person through a trusted channel. It works once; the server keeps only its hash.');
    return EXIT.ok;
  },
};
