import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { CLAIM_SCHEME, checkClaimCode, CryptoError, createSha256, fromBase64, fromHex, generateBoxKeyPair, openBundle, publicKeyFromPrivate, toBase64, toHex } from '../../core/crypto/index.js';
import { escrowFingerprint } from '../../core/escrow/service.js';
import { insertAuthority, listAuthorities } from '../../core/referral/repository.js';
import { unpackReferralBundle, type BundleManifest } from '../../core/referral/bundle.js';
import { EXIT, readPrivateKeyFile, type CliCommand, type CliContext } from './types.js';

/**
 * Receiving bodies with a public key (DESIGN §6). The body runs `authority:keygen` on its own
 * machine and gives the operator the public key; the operator registers it with `authority:add`;
 * reviewers then download referral bundles sealed to it; the body opens them with `bundle:open`.
 */

export const authorityKeygenCommand: CliCommand = {
  name: 'authority:keygen',
  summary: 'for a receiving body: create its key pair, write the private key once (0600), print the public key',
  usage: 'authority:keygen --out FILE',
  options: { out: { type: 'string' } },
  async run(ctx, values) {
    if (typeof values.out !== 'string') {
      ctx.err('--out FILE is required (the private key is written there, never printed)');
      return EXIT.usage;
    }
    const out = resolve(values.out);
    const pair = generateBoxKeyPair();
    const text = [
      '# ParcelGuard receiving-body private key. Keep it on the machine that opens referral bundles.',
      `# public-key: ${toBase64(pair.publicKey)}`,
      `# fingerprint: ${escrowFingerprint(pair.publicKey)}`,
      `private-key: ${toBase64(pair.privateKey)}`,
      '',
    ].join('\n');
    try {
      await writeFile(out, text, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      ctx.err(`cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      return EXIT.cantCreate;
    } finally {
      pair.privateKey.fill(0);
    }
    ctx.out(`Wrote the private key to ${out} (mode 0600).`);
    ctx.out(`Public key to give the portal operator: ${toBase64(pair.publicKey)}`);
    ctx.out(`Fingerprint (compare it on the phone): ${escrowFingerprint(pair.publicKey)}`);
    return EXIT.ok;
  },
};

export const authorityAddCommand: CliCommand = {
  name: 'authority:add',
  summary: 'register a receiving body and its public key, so referrals to it can be exported sealed',
  usage: 'authority:add --name NAME --public-key BASE64',
  options: { name: { type: 'string' }, 'public-key': { type: 'string' } },
  async run(ctx, values) {
    const name = typeof values.name === 'string' ? values.name.trim() : '';
    let publicKey: Uint8Array | null = null;
    try {
      publicKey = typeof values['public-key'] === 'string' ? fromBase64(values['public-key'].trim()) : null;
    } catch {
      publicKey = null;
    }
    if (!name || name.length > 200) {
      ctx.err('--name is required (at most 200 characters)');
      return EXIT.usage;
    }
    if (!publicKey || publicKey.length !== 32) {
      ctx.err('--public-key must be the 32-byte public key in base64, as printed by authority:keygen');
      return EXIT.dataError;
    }
    const id = await insertAuthority(ctx.db, name, publicKey);
    if (!id) {
      ctx.err(`a receiving body named "${name}" already exists`);
      return EXIT.failure;
    }
    ctx.out(`Registered ${name} (${escrowFingerprint(publicKey)}). Compare this fingerprint with the body before use.`);
    return EXIT.ok;
  },
};

export const authorityListCommand: CliCommand = {
  name: 'authority:list',
  summary: 'receiving bodies with their public-key fingerprints',
  usage: 'authority:list',
  options: {},
  async run(ctx) {
    const all = await listAuthorities(ctx.db);
    if (all.length === 0) ctx.out('No receiving body has a public key on file.');
    for (const a of all) ctx.out(`${a.name}\t${escrowFingerprint(a.publicKey)}\t${a.createdAt.toISOString()}`);
    return EXIT.ok;
  },
};

export const bundleOpenCommand: CliCommand = {
  name: 'bundle:open',
  summary: "for a receiving body: open a referral bundle with its private key; prints the record, writes the files, checks a reward claim code",
  usage: 'bundle:open --bundle FILE --key-file FILE (--out DIR | --check-claim CODE)',
  options: { bundle: { type: 'string' }, 'key-file': { type: 'string' }, out: { type: 'string' }, 'check-claim': { type: 'string' } },
  async run(ctx, values) {
    const claimCode = typeof values['check-claim'] === 'string' ? values['check-claim'] : null;
    if (typeof values.bundle !== 'string' || typeof values['key-file'] !== 'string' || (typeof values.out !== 'string' && claimCode === null)) {
      ctx.err('--bundle and --key-file are required, with --out DIR, --check-claim CODE or both');
      return EXIT.usage;
    }
    const privateKey = await readPrivateKeyFile(ctx, values['key-file'], 'a private key');
    if (typeof privateKey === 'number') return privateKey;
    const keys = { publicKey: publicKeyFromPrivate(privateKey), privateKey };
    const outDir = typeof values.out === 'string' ? resolve(values.out) : null;
    try {
      const { manifest, fileBytes } = await unpackReferralBundle(openBundle(keys, createReadStream(resolve(values.bundle))));
      if (outDir) {
        await mkdir(outDir, { recursive: true, mode: 0o700 });
        await writeFile(join(outDir, 'referral.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      }
      for (const [i, file] of manifest.files.entries()) {
        const target = outDir ? join(outDir, `${String(i + 1).padStart(2, '0')}-${safeName(file.name)}`) : null;
        await copyChecked(fileBytes(file.size), file.sha256, target);
        if (target) ctx.out(`file ${i + 1}: ${target}`);
      }
      if (claimCode === null) {
        ctx.out(JSON.stringify(manifest, null, 2));
        return EXIT.ok;
      }
      return reportClaimCheck(ctx, manifest, claimCode);
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      ctx.err('the bundle cannot be opened with this key, or it was damaged or cut short');
      return EXIT.dataError;
    } finally {
      privateKey.fill(0);
    }
  },
};

/** Streams one file of the bundle, to `target` when given, and checks its SHA-256 against the manifest. */
async function copyChecked(pieces: AsyncIterable<Uint8Array>, sha256: string, target: string | null): Promise<void> {
  const hash = createSha256();
  const sink = target ? createWriteStream(target, { mode: 0o600, flags: 'wx' }) : null;
  for await (const piece of pieces) {
    hash.update(piece);
    if (sink && !sink.write(piece)) await once(sink, 'drain');
  }
  if (sink) {
    sink.end();
    await once(sink, 'finish');
  }
  if (toHex(hash.digest()) !== sha256) throw new CryptoError();
}

/**
 * The receiving body's check of a claimant's code against the commitment in the bundle
 * (docs/crypto.md §4.10): exit 0 and "matches" only when the code opens it; nothing else is learnt.
 */
function reportClaimCheck(ctx: CliContext, manifest: BundleManifest, typed: string): number {
  const claim = manifest.reward?.claim;
  if (!claim || claim.scheme !== CLAIM_SCHEME) {
    ctx.err(`case ${manifest.caseNumber}: this bundle carries no reward claim`);
    return EXIT.dataError;
  }
  const matches = checkClaimCode(manifest.caseNumber, typed, { salt: fromHex(claim.salt), commitment: fromHex(claim.commitment) });
  if (!matches) {
    ctx.err(`case ${manifest.caseNumber}: the claim code does NOT match this case's reward claim`);
    return EXIT.dataError;
  }
  ctx.out(`case ${manifest.caseNumber}: the claim code matches the reward claim made ${claim.createdAt}`);
  return EXIT.ok;
}

function safeName(name: string): string {
  return name.replace(/[\\/\0]/g, '_').replace(/^\.+/, '_').slice(0, 120) || 'file';
}
