import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { AlertChannelKind, AlertDigest, DB } from '../db/schema.js';
import { appendAudit } from '../audit/repository.js';
import { readSettings } from '../settings/service.js';
import type { Locale } from '../i18n/index.js';
import { CHANNEL_KINDS, openChannelConfig, sealChannelConfig, urlHint, validWebhookUrl } from './channels.js';
import { renderTest } from './messages.js';
import { deleteChannel, findChannel, findStaffAlertPreferences, insertChannel, setChannelEnabled, updateStaffAlertPreferences } from './repository.js';
import { createMailTransport, postWebhook, TransportError, type MailTransport } from './transports.js';

/** Alert settings people change in the staff app; every change is audited (never the address or URL itself). */

type Deps = { readonly config: Config; readonly database: { readonly db: Kysely<DB> } };

export const DIGESTS: readonly AlertDigest[] = ['immediate', 'hourly', 'daily'];

export const alertPreferencesSchema = z.object({
  email: z
    .string()
    .trim()
    .max(254, { error: 'alerts.errors.email' })
    .transform((v) => (v === '' ? null : v))
    .refine((v) => v === null || z.email().safeParse(v).success, { error: 'alerts.errors.email' }),
  digest: z.enum(['immediate', 'hourly', 'daily'], { error: 'alerts.errors.digest' }),
});

export const channelSchema = z.object({
  kind: z.enum(['wecom', 'dingtalk', 'feishu'], { error: 'alerts.errors.kind' }),
  name: z.string().trim().min(1, { error: 'alerts.errors.name' }).max(80, { error: 'alerts.errors.name' }),
  url: z.string().trim().refine(validWebhookUrl, { error: 'alerts.errors.url' }),
  secret: z.string().trim().max(200, { error: 'alerts.errors.secret' }).transform((v) => (v === '' ? null : v)),
});

export async function setAlertPreferences(deps: Deps, actorId: string, staffId: string, prefs: { email: string | null; digest: AlertDigest }, now = new Date()): Promise<boolean> {
  return deps.database.db.transaction().execute(async (trx) => {
    const before = await findStaffAlertPreferences(trx, staffId);
    if (!before) return false;
    await updateStaffAlertPreferences(trx, staffId, prefs, now);
    await appendAudit(trx, {
      actorKind: 'staff',
      actorId,
      event: 'alerts.preferences_changed',
      subjectId: staffId,
      details: { emailSet: prefs.email !== null, emailChanged: before.email !== prefs.email, digest: prefs.digest },
    });
    return true;
  });
}

/** The e-mail set by the command line when an account is created. */
export async function setEmailFromCli(deps: Deps, staffId: string, email: string, now = new Date()): Promise<void> {
  await deps.database.db.transaction().execute(async (trx) => {
    await updateStaffAlertPreferences(trx, staffId, { email, digest: 'immediate' }, now);
    await appendAudit(trx, { actorKind: 'cli', event: 'alerts.preferences_changed', subjectId: staffId, details: { emailSet: true, emailChanged: true, digest: 'immediate' } });
  });
}

export async function addChannel(deps: Deps, actorId: string, input: { kind: AlertChannelKind; name: string; url: string; secret: string | null }): Promise<string> {
  const id = randomUUID();
  const sealed = sealChannelConfig(deps.config.secrets, id, input.kind, { url: input.url, secret: input.secret });
  await deps.database.db.transaction().execute(async (trx) => {
    await insertChannel(trx, { id, kind: input.kind, name: input.name, config_sealed: sealed, url_hint: urlHint(input.url), created_by: actorId });
    await appendAudit(trx, { actorKind: 'staff', actorId, event: 'alerts.channel_added', subjectId: id, details: { kind: input.kind, signed: input.secret !== null } });
  });
  return id;
}

export async function enableChannel(deps: Deps, actorId: string, id: string, enabled: boolean, now = new Date()): Promise<boolean> {
  return deps.database.db.transaction().execute(async (trx) => {
    if (!(await setChannelEnabled(trx, id, enabled, now))) return false;
    await appendAudit(trx, { actorKind: 'staff', actorId, event: enabled ? 'alerts.channel_enabled' : 'alerts.channel_disabled', subjectId: id });
    return true;
  });
}

export async function removeChannel(deps: Deps, actorId: string, id: string): Promise<boolean> {
  return deps.database.db.transaction().execute(async (trx) => {
    if (!(await deleteChannel(trx, id))) return false;
    await appendAudit(trx, { actorKind: 'staff', actorId, event: 'alerts.channel_deleted', subjectId: id });
    return true;
  });
}

export type TestOutcome = { ok: true } | { ok: false; reason: string };

async function locale(deps: Deps): Promise<Locale> {
  return (await readSettings(deps))['organisation.defaultLocale'] as Locale;
}

async function audited(deps: Deps, actorId: string, target: { channel?: string; email?: true }, outcome: TestOutcome): Promise<TestOutcome> {
  await deps.database.db.transaction().execute((trx) =>
    appendAudit(trx, { actorKind: 'staff', actorId, event: 'alerts.test_sent', subjectId: target.channel ?? actorId, details: { target: target.channel ? 'channel' : 'email', ok: outcome.ok } }),
  );
  return outcome;
}

/** Sends a test alert to one channel now (not through the outbox), and tells the admin the outcome. */
export async function sendChannelTest(deps: Deps, actorId: string, id: string): Promise<TestOutcome | null> {
  const channel = await findChannel(deps.database.db, id);
  if (!channel) return null;
  let outcome: TestOutcome = { ok: true };
  try {
    const config = openChannelConfig(deps.config.secrets, channel.id, channel.kind, new Uint8Array(channel.config_sealed));
    await postWebhook(channel.kind, config, renderTest(await locale(deps), deps.config.staff.url));
  } catch (err) {
    outcome = { ok: false, reason: err instanceof TransportError ? err.message : 'error' };
  }
  return audited(deps, actorId, { channel: id }, outcome);
}

/** Sends a test e-mail to the signed-in person's own address. */
export async function sendEmailTest(deps: Deps, actorId: string, mail?: MailTransport): Promise<TestOutcome> {
  const prefs = await findStaffAlertPreferences(deps.database.db, actorId);
  if (!prefs?.email) return { ok: false, reason: 'no e-mail address' };
  const smtpUrl = deps.config.alerts.smtpUrl;
  if (!mail && !smtpUrl) return audited(deps, actorId, { email: true }, { ok: false, reason: 'smtp not configured (SMTP_URL)' });
  const transport = mail ?? createMailTransport(smtpUrl!, deps.config.alerts.mailFrom);
  let outcome: TestOutcome = { ok: true };
  try {
    await transport.send(prefs.email, renderTest(await locale(deps), deps.config.staff.url));
  } catch (err) {
    outcome = { ok: false, reason: err instanceof TransportError ? err.message : 'error' };
  } finally {
    if (!mail) transport.close();
  }
  return audited(deps, actorId, { email: true }, outcome);
}

export { CHANNEL_KINDS };
