import { organisationOverview } from '../../core/organisations/service.js';
import { EXIT, type CliCommand } from './types.js';

export const outletListCommand: CliCommand = {
  name: 'outlet:list',
  summary: 'list outlets with their ids and number of employee accounts',
  usage: 'outlet:list',
  options: {},
  async run(ctx) {
    const { outlets } = await organisationOverview(ctx.db);
    if (outlets.length === 0) ctx.out('no outlets yet (org:create, then outlet:create)');
    for (const o of outlets) ctx.out(`${o.id}  ${o.organisation_name} · ${o.name} (${o.province} ${o.city})  ${o.employee_count} account(s)`);
    return EXIT.ok;
  },
};
