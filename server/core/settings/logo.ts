import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { appendAudit } from '../audit/repository.js';

/**
 * The organisation's logo: uploaded by an administrator, re-encoded on the server as a PNG of at
 * most 480 × 160 pixels (so no metadata of the original file survives and no hostile image is ever
 * served back), stored in one row, and served by its digest. Pages learn the digest through a cache
 * of a few seconds, as settings do, so every instance shows a new logo within that time.
 */

export const LOGO_LIMITS = { maxUploadBytes: 2 * 1024 * 1024, maxWidth: 480, maxHeight: 160, maxInputPixels: 40_000_000 } as const;

export type LogoRefusal = 'settings.logo.errors.missing' | 'settings.logo.errors.tooLarge' | 'settings.logo.errors.type' | 'settings.logo.errors.unreadable';
export type Logo = { readonly image: Uint8Array; readonly digest: string; readonly width: number; readonly height: number };

const ACCEPTED = new Set(['png', 'jpeg', 'webp']);

/** Decodes and re-encodes an uploaded picture; refuses anything that is not a readable PNG, JPEG or WebP. */
export async function prepareLogo(upload: Uint8Array): Promise<{ ok: true; logo: Logo } | { ok: false; messageKey: LogoRefusal }> {
  if (upload.length === 0) return { ok: false, messageKey: 'settings.logo.errors.missing' };
  if (upload.length > LOGO_LIMITS.maxUploadBytes) return { ok: false, messageKey: 'settings.logo.errors.tooLarge' };
  // sharp is loaded only here: a server that never changes its logo never loads it for this.
  const { default: sharp } = await import('sharp');
  try {
    const meta = await sharp(upload, { limitInputPixels: LOGO_LIMITS.maxInputPixels }).metadata();
    if (!meta.format || !ACCEPTED.has(meta.format)) return { ok: false, messageKey: 'settings.logo.errors.type' };
    const { data, info } = await sharp(upload, { limitInputPixels: LOGO_LIMITS.maxInputPixels })
      .rotate()
      .resize({ width: LOGO_LIMITS.maxWidth, height: LOGO_LIMITS.maxHeight, fit: 'inside', withoutEnlargement: true })
      .png()
      .toBuffer({ resolveWithObject: true });
    const image = new Uint8Array(data);
    const digest = createHash('sha256').update(image).digest('hex').slice(0, 32);
    return { ok: true, logo: { image, digest, width: info.width, height: info.height } };
  } catch {
    return { ok: false, messageKey: 'settings.logo.errors.unreadable' };
  }
}

const CACHE_MS = 5_000;
const cache = new WeakMap<object, { at: number; logo: { digest: string; width: number; height: number } | null }>();

/** The current logo's digest and size (no image bytes), or null; kept for a few seconds per process. */
export async function currentLogo(db: Kysely<DB>): Promise<{ digest: string; width: number; height: number } | null> {
  const hit = cache.get(db);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.logo;
  const row = await db.selectFrom('organisation_logo').select(['digest', 'width', 'height']).executeTakeFirst();
  const logo = row ? { digest: row.digest, width: row.width, height: row.height } : null;
  cache.set(db, { at: Date.now(), logo });
  return logo;
}

/** The image with this digest, or null (a logo replaced since, or none). */
export async function logoImage(db: Kysely<DB>, digest: string): Promise<Uint8Array | null> {
  const row = await db.selectFrom('organisation_logo').select('image').where('digest', '=', digest).executeTakeFirst();
  return row ? new Uint8Array(row.image) : null;
}

/** Stores a prepared logo in place of any earlier one; audited with its digest and size. */
export async function saveLogo(db: Kysely<DB>, staffId: string, logo: Logo): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const values = { id: 1, image: logo.image, digest: logo.digest, width: logo.width, height: logo.height, updated_at: new Date(), updated_by: staffId };
    await trx
      .insertInto('organisation_logo')
      .values(values)
      .onConflict((oc) => oc.column('id').doUpdateSet({ image: logo.image, digest: logo.digest, width: logo.width, height: logo.height, updated_at: values.updated_at, updated_by: staffId }))
      .execute();
    await appendAudit(trx, { actorKind: 'staff', actorId: staffId, event: 'settings.logo_changed', details: { digest: logo.digest, width: logo.width, height: logo.height } });
  });
  cache.delete(db);
}

/** Removes the logo (pages show the name alone); audited. */
export async function removeLogo(db: Kysely<DB>, staffId: string): Promise<boolean> {
  const removed = await db.transaction().execute(async (trx) => {
    const result = await trx.deleteFrom('organisation_logo').executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) return false;
    await appendAudit(trx, { actorKind: 'staff', actorId: staffId, event: 'settings.logo_removed' });
    return true;
  });
  cache.delete(db);
  return removed;
}
