import { t } from '../../core/i18n/index.js';
import { findOrganisationByName } from '../../core/organisations/repository.js';
import { outletForm } from '../../core/organisations/schema.js';
import { createOutlet } from '../../core/organisations/service.js';
import { EXIT, type CliCommand } from './types.js';

export const outletCreateCommand: CliCommand = {
  name: 'outlet:create',
  summary: 'add an outlet (网点) to a courier company; prints its id for invite:create',
  usage: 'outlet:create --org COMPANY --name NAME --province CODE --city CITY   (CODE: GD, BJ, SH, …)',
  options: { org: { type: 'string' }, name: { type: 'string' }, province: { type: 'string' }, city: { type: 'string' } },
  async run(ctx, values) {
    const org = typeof values.org === 'string' ? await findOrganisationByName(ctx.db, values.org.trim()) : undefined;
    if (!org) {
      ctx.err(`--org: no courier company named "${String(values.org ?? '')}" (create it with org:create)`);
      return EXIT.dataError;
    }
    const province = typeof values.province === 'string' ? values.province.trim().toUpperCase() : undefined;
    const parsed = outletForm.safeParse({ organisationId: org.id, name: values.name, province, city: values.city });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.err(`--${String(issue.path[0])}: ${t('en', issue.message)}`);
      return EXIT.usage;
    }
    const outlet = await createOutlet(ctx.db, { kind: 'cli' }, parsed.data);
    ctx.out(`Added outlet "${outlet.name}" of ${org.name}: ${outlet.id}`);
    ctx.out(`Create invite codes for it with: npm run cli -- invite:create --outlet ${outlet.id} --days 14 --uses 20`);
    return EXIT.ok;
  },
};
