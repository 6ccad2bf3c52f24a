import { open, unlink, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { initEscrow, type EscrowKeySink } from '../../core/escrow/service.js';
import { EXIT, type CliCommand } from './types.js';

export const escrowInitCommand: CliCommand = {
  name: 'escrow:init',
  summary: 'create the organisation escrow key pair; keep only the public key, write the private key once',
  usage: 'escrow:init [--out FILE]   (without --out the private key is printed once to standard output)',
  options: { out: { type: 'string' } },
  async run(ctx, values) {
    const out = typeof values.out === 'string' ? resolve(values.out) : null;
    const installation = ctx.config.public.url.origin;
    // The file is claimed first ('wx': never overwrite an existing file, which could be an earlier
    // escrow key; 0600: owner only), filled only after the public key committed, removed if not.
    let handle: FileHandle | null = null;
    const sink: EscrowKeySink = out
      ? {
          reserve: async () => {
            handle = await open(out, 'wx', 0o600);
          },
          deliver: async (keyFile) => {
            await handle!.writeFile(keyFile);
            await handle!.sync();
            await handle!.close();
            handle = null;
          },
          abandon: async () => {
            await handle?.close();
            handle = null;
            await unlink(out);
          },
        }
      : {
          deliver: async (keyFile) => {
            ctx.out('Store the following private key OFFLINE now. It is shown only this once and the server keeps no copy:');
            ctx.out('');
            for (const line of keyFile.trimEnd().split('\n')) ctx.out(line);
            ctx.out('');
          },
        };
    let result;
    try {
      result = await initEscrow(ctx.db, installation, sink);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!code || !/^E[A-Z]+$/.test(code)) throw err;
      ctx.err(`cannot write ${out}: ${code}; no escrow key was installed`);
      return EXIT.cantCreate;
    }
    if (result === 'exists') {
      ctx.err('an escrow key already exists for this installation; refusing to replace it');
      return EXIT.failure;
    }
    if (out) ctx.out(`Wrote the escrow private key to ${out} (mode 0600). Move it offline and delete it from this machine.`);
    ctx.out(`Escrow public key installed (${result.fingerprint}). Reports submitted from now on are also sealed to it.`);
    return EXIT.ok;
  },
};
