import QRCode from 'qrcode';
import type { AppContext } from '../context.js';
import { appendAudit } from '../audit/repository.js';
import { verifyAuditChain } from '../audit/verify.js';
import { checkpointDir, readCheckpoints } from '../audit/checkpoints.js';
import { auditKeysOf } from '../audit/keys.js';
import { escrowFingerprint } from '../escrow/service.js';
import { fromBase64 } from '../crypto/index.js';
import { insertAuthority, listAuthorities } from '../referral/repository.js';
import { findOrganisationByName } from '../organisations/repository.js';
import { createOrganisationIn, createOutletIn, OrganisationError, type AdminActor } from '../organisations/service.js';
import { PROVINCE_CODES } from '../reports/model.js';

/**
 * The admin console's operations that the CLI had alone: audit verification on demand, receiving
 * bodies and their keys (now audited), outlets imported from CSV, and posters with a QR code.
 */

export type AuditVerification =
  | { ok: true; rows: number; checkpointFiles: number; newest: { seq: number; at: string; instance: string } | null; badCheckpointLines: number }
  | { ok: false; brokenSeq: number; reason: string; instance: string | null };

/** audit:verify (server/cli/commands/audit-verify.ts) from the admin console; the run itself is audited. */
export async function verifyAuditNow(ctx: AppContext, staffId: string): Promise<AuditVerification> {
  const db = ctx.database.db;
  const { checkpoints, problems, files } = await readCheckpoints(checkpointDir(ctx.config.dataDir), auditKeysOf(db).checkpoint);
  const verdict = await verifyAuditChain(db, checkpoints);
  const newest = checkpoints.reduce<(typeof checkpoints)[number] | null>((a, c) => (!a || c.seq > a.seq ? c : a), null);
  const result: AuditVerification = verdict.ok
    ? { ok: true, rows: verdict.rows, checkpointFiles: files, newest: newest ? { seq: newest.seq, at: newest.at, instance: newest.instance } : null, badCheckpointLines: problems.filter((p) => !p.torn).length }
    : { ok: false, brokenSeq: verdict.brokenSeq, reason: verdict.reason, instance: verdict.instance ?? null };
  await db.transaction().execute((trx) =>
    appendAudit(trx, { actorKind: 'staff', actorId: staffId, event: 'audit.verified', details: { ok: result.ok, ...(result.ok ? { rows: result.rows } : { brokenSeq: result.brokenSeq }) } }),
  );
  return result;
}

export async function authoritiesWithFingerprints(ctx: AppContext) {
  return (await listAuthorities(ctx.database.db)).map((a) => ({ id: a.id, name: a.name, createdAt: a.createdAt, fingerprint: escrowFingerprint(a.publicKey) }));
}

export type AddAuthorityResult = { ok: true; fingerprint: string } | { ok: false; field: 'name' | 'publicKey'; messageKey: string };

/** Registers a receiving body's public key (as authority:add does), audited with its fingerprint. */
export async function addAuthority(ctx: AppContext, staffId: string, name: string, publicKeyText: string): Promise<AddAuthorityResult> {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200) return { ok: false, field: 'name', messageKey: 'console.errors.authorityName' };
  let publicKey: Uint8Array | null = null;
  try {
    publicKey = fromBase64(publicKeyText.trim());
  } catch {
    publicKey = null;
  }
  if (!publicKey || publicKey.length !== 32) return { ok: false, field: 'publicKey', messageKey: 'console.errors.publicKey' };
  const fingerprint = escrowFingerprint(publicKey);
  const key = publicKey;
  const id = await ctx.database.db.transaction().execute(async (trx) => {
    const inserted = await insertAuthority(trx, trimmed, key);
    if (inserted) await appendAudit(trx, { actorKind: 'staff', actorId: staffId, event: 'authority.added', subjectId: inserted, details: { fingerprint } });
    return inserted;
  });
  return id ? { ok: true, fingerprint } : { ok: false, field: 'name', messageKey: 'console.errors.authorityTaken' };
}

// ------------------------------------------------------------------------------------ CSV import

export type CsvRowError = { line: number; messageKey: string; vars?: Record<string, unknown> };
export type ImportResult = { ok: true; companies: number; outlets: number } | { ok: false; errors: CsvRowError[] };

const MAX_ROWS = 2000;

/** RFC 4180 fields: commas, double quotes around fields, "" for a quote inside. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const input = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const HEADER = ['company', 'outlet', 'province', 'city'];

/**
 * Companies and outlets from CSV (`company,outlet,province,city`, header optional, province as the
 * two-letter code). All or nothing, in one transaction: any bad row names its line and nothing is
 * imported. Each company and outlet made is audited as one made by hand would be.
 */
export async function importOutletsCsv(ctx: AppContext, staffId: string, text: string): Promise<ImportResult> {
  const rows = parseCsv(text).filter((r) => r.some((f) => f.trim() !== ''));
  const errors: CsvRowError[] = [];
  const parsed: ParsedRow[] = [];
  let line = 0;
  for (const raw of rows) {
    line += 1;
    const cells = raw.map((f) => f.trim());
    if (line === 1 && cells.map((c) => c.toLowerCase()).join(',') === HEADER.join(',')) continue;
    if (cells.length !== 4) {
      errors.push({ line, messageKey: 'console.csv.columns' });
      continue;
    }
    const [company, outlet, province, city] = cells as [string, string, string, string];
    if (!company || company.length > 100) errors.push({ line, messageKey: 'console.csv.company' });
    else if (!outlet || outlet.length > 100) errors.push({ line, messageKey: 'console.csv.outlet' });
    else if (!(PROVINCE_CODES as readonly string[]).includes(province.toUpperCase())) errors.push({ line, messageKey: 'console.csv.province', vars: { value: province.slice(0, 20) } });
    else if (!city || city.length > 100) errors.push({ line, messageKey: 'console.csv.city' });
    else if (parsed.some((p) => p.company === company && p.outlet === outlet)) errors.push({ line, messageKey: 'console.csv.duplicate' });
    else parsed.push({ line, company, outlet, province: province.toUpperCase(), city });
  }
  if (parsed.length === 0 && errors.length === 0) errors.push({ line: 0, messageKey: 'console.csv.empty' });
  if (parsed.length > MAX_ROWS) errors.push({ line: 0, messageKey: 'console.csv.tooMany', vars: { max: MAX_ROWS } });
  if (errors.length) return { ok: false, errors };
  const actor = { kind: 'staff' as const, id: staffId };
  // One transaction: an outlet added by someone else meanwhile, or any failure, imports nothing.
  try {
    return await importRows(ctx, actor, parsed);
  } catch (error) {
    // A company or outlet of the same name made meanwhile (a unique index refused it): nothing kept.
    if ((error as { code?: string }).code === '23505' || (error instanceof OrganisationError && error.code === 'duplicate_name')) {
      return { ok: false, errors: [{ line: 0, messageKey: 'console.csv.changed' }] };
    }
    throw error;
  }
}

type ParsedRow = { line: number; company: string; outlet: string; province: string; city: string };

async function importRows(ctx: AppContext, actor: AdminActor, parsed: ParsedRow[]): Promise<ImportResult> {
  return ctx.database.db.transaction().execute(async (trx): Promise<ImportResult> => {
    const existing = await trx
      .selectFrom('outlets')
      .innerJoin('organisations', 'organisations.id', 'outlets.organisation_id')
      .select(['organisations.name as company', 'outlets.name as outlet'])
      .execute();
    const dup = parsed.find((p) => existing.some((e) => e.company === p.company && e.outlet === p.outlet));
    if (dup) return { ok: false, errors: [{ line: dup.line, messageKey: 'console.csv.exists' }] };
    let companies = 0;
    const orgIds = new Map<string, string>();
    for (const p of parsed) {
      let orgId = orgIds.get(p.company) ?? (await findOrganisationByName(trx, p.company))?.id;
      if (!orgId) {
        orgId = (await createOrganisationIn(trx, actor, p.company)).id;
        companies += 1;
      }
      orgIds.set(p.company, orgId);
      await createOutletIn(trx, actor, { organisationId: orgId, name: p.outlet, province: p.province, city: p.city });
    }
    return { ok: true, companies, outlets: parsed.length };
  });
}

// -------------------------------------------------------------------------------------- posters

/** A QR code as inline SVG, drawn on the server (no script, no request to another origin). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
