import { alertChannelKey, openJson, sealJson, type SecretRoots } from '../crypto/index.js';
import type { AlertChannelKind } from '../db/schema.js';

/**
 * A group-robot webhook's URL and signing secret, sealed with a server subkey (crypto/subkeys.ts,
 * context `parcelguard/v1/alert-channel`) and bound to the channel's id and kind, so a database copy
 * cannot post into the group and a sealed config moved to another row does not open. Only a hint of
 * the URL (its host) is stored in clear, for the admin page.
 */
export type ChannelConfig = { readonly url: string; readonly secret: string | null };

export const CHANNEL_KINDS: readonly AlertChannelKind[] = ['wecom', 'dingtalk', 'feishu'];

export function sealChannelConfig(roots: SecretRoots, id: string, kind: AlertChannelKind, config: ChannelConfig): Uint8Array {
  return sealJson(alertChannelKey(roots), 'alert-channel', id, config, { kind });
}

export function openChannelConfig(roots: SecretRoots, id: string, kind: AlertChannelKind, sealed: Uint8Array): ChannelConfig {
  return openJson<ChannelConfig>(alertChannelKey(roots), 'alert-channel', id, sealed, { kind });
}

/** The host of a webhook URL, as the admin page shows it (the path holds the robot's token). */
export function urlHint(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}/…`;
}

/** Checks a webhook URL an admin typed: http(s), no credentials, at most 2000 characters. */
export function validWebhookUrl(value: string): boolean {
  if (value.length > 2000) return false;
  try {
    const u = new URL(value);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password;
  } catch {
    return false;
  }
}
