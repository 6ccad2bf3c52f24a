import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { initEscrow } from '../../core/escrow/service.js';
import { EXIT, type CliCommand } from './types.js';

export const escrowInitCommand: CliCommand = {
  name: 'escrow:init',
  summary: 'create the organisation escrow key pair; keep only the public key, write the private key once',
  usage: 'escrow:init [--out FILE]   (without --out the private key is printed once to standard output)',
  options: { out: { type: 'string' } },
  async run(ctx, values) {
    const out = typeof values.out === 'string' ? resolve(values.out) : null;
    const installation = ctx.config.public.url.origin;
    // 'wx': never overwrite an existing file (it could be an earlier escrow key); 0600: owner only.
    const keep = out
      ? (keyFile: string) => writeFile(out, keyFile, { mode: 0o600, flag: 'wx' })
      : async (keyFile: string) => {
          ctx.out('Store the following private key OFFLINE now. It is shown only this once and the server keeps no copy:');
          ctx.out('');
          for (const line of keyFile.trimEnd().split('\n')) ctx.out(line);
          ctx.out('');
        };
    let result;
    try {
      result = await initEscrow(ctx.db, installation, keep);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!code || !/^E[A-Z]+$/.test(code)) throw err;
      ctx.err(`cannot write ${out}: ${code}; nothing was changed`);
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
