import { parseArgs } from 'node:util';
import { staffCreateCommand } from './staff-create.js';
import { staffDeactivateCommand } from './staff-deactivate.js';
import { staffEnrolLinkCommand } from './staff-enrol-link.js';
import { staffListCommand } from './staff-list.js';
import { escrowInitCommand } from './escrow-init.js';
import { escrowOpenCommand } from './escrow-open.js';
import { auditVerifyCommand } from './audit-verify.js';
import { orgCreateCommand } from './org-create.js';
import { outletCreateCommand } from './outlet-create.js';
import { outletListCommand } from './outlet-list.js';
import { inviteCreateCommand } from './invite-create.js';
import { inviteRevokeCommand } from './invite-revoke.js';
import { employeeHardenLookupsCommand } from './employee-harden-lookups.js';
import { authorityAddCommand, authorityKeygenCommand, authorityListCommand, bundleOpenCommand } from './authority.js';
import { retentionRunCommand } from './retention-run.js';
import { EXIT, type CliCommand, type CliContext, type CliValues } from './types.js';

export { EXIT, type CliCommand, type CliContext } from './types.js';

export const COMMANDS: readonly CliCommand[] = [
  staffCreateCommand,
  staffDeactivateCommand,
  staffEnrolLinkCommand,
  staffListCommand,
  escrowInitCommand,
  escrowOpenCommand,
  auditVerifyCommand,
  orgCreateCommand,
  outletCreateCommand,
  outletListCommand,
  inviteCreateCommand,
  inviteRevokeCommand,
  employeeHardenLookupsCommand,
  authorityKeygenCommand,
  authorityAddCommand,
  authorityListCommand,
  bundleOpenCommand,
  retentionRunCommand,
];

export function findCommand(name: string | undefined): CliCommand | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.split('   ')[0]!.length));
  return [
    'usage: npm run cli -- <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.usage.split('   ')[0]!.padEnd(width)}  ${c.summary}`),
    '',
    'npm run cli -- <command> --help shows one command. Exit status: 0 ok, 1 failed, 64 usage error, 75 embedded database in use by a running server.',
  ].join('\n');
}

export function isHelp(args: readonly string[]): boolean {
  return args.length === 0 || ['--help', '-h', 'help'].includes(args[0]!);
}

/** Parses the arguments of one command; null (after explaining why) when they are not valid. */
export function parseCommandArgs(command: CliCommand, args: string[], err: (line: string) => void): CliValues | null {
  try {
    const { values } = parseArgs({ args, options: command.options, strict: true, allowPositionals: false });
    return values as CliValues;
  } catch (e) {
    err(`${command.name}: ${(e as Error).message}`);
    err(`usage: npm run cli -- ${command.usage}`);
    return null;
  }
}

/** Runs one command line (without the program name) against a ready context; returns the exit code. */
export async function runCommand(ctx: CliContext, argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = findCommand(name);
  if (!command) {
    ctx.err(`unknown command: ${name ?? ''}`);
    ctx.err(usage());
    return EXIT.usage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    ctx.out(`usage: npm run cli -- ${command.usage}`);
    ctx.out(command.summary);
    return EXIT.ok;
  }
  const values = parseCommandArgs(command, args, ctx.err);
  return values ? command.run(ctx, values) : EXIT.usage;
}
