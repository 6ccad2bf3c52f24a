import { t } from '../../core/i18n/index.js';
import { organisationForm } from '../../core/organisations/schema.js';
import { OrganisationError, createOrganisation } from '../../core/organisations/service.js';
import { EXIT, type CliCommand } from './types.js';

export const orgCreateCommand: CliCommand = {
  name: 'org:create',
  summary: 'register a courier company (快递公司)',
  usage: 'org:create --name NAME',
  options: { name: { type: 'string' } },
  async run(ctx, values) {
    const parsed = organisationForm.safeParse({ name: values.name });
    if (!parsed.success) {
      ctx.err(`--name: ${t('en', parsed.error.issues[0]!.message)}`);
      return EXIT.usage;
    }
    try {
      const org = await createOrganisation(ctx.db, { kind: 'cli' }, parsed.data.name);
      ctx.out(`Registered courier company "${org.name}" (${org.id}).`);
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof OrganisationError)) throw err;
      ctx.err(`a courier company named "${parsed.data.name}" already exists`);
      return EXIT.dataError;
    }
  },
};
