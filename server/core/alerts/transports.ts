import { createHmac } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AlertChannelKind } from '../db/schema.js';
import type { ChannelConfig } from './channels.js';
import type { AlertMessage } from './messages.js';

/**
 * How alerts leave the server: e-mail over SMTP (nodemailer) and the group robots Chinese
 * organisations use for on-call work. A transport throws TransportError with a short reason (an
 * SMTP reply code, an HTTP status, a robot's error code) that the outbox keeps for admins; the
 * reason never holds the message, the URL or the secret.
 */
export class TransportError extends Error {
  override name = 'TransportError';
  /** False when a retry cannot help (e.g. the robot rejected the signature). */
  readonly retryable: boolean;
  constructor(reason: string, retryable = true) {
    super(reason);
    this.retryable = retryable;
  }
}

export type MailTransport = { send(to: string, message: AlertMessage): Promise<void>; close(): void };

/** An SMTP transport for SMTP_URL (smtp://user:pass@host:587, smtps://…), pooled, with short timeouts. */
export function createMailTransport(smtpUrl: string, from: string): MailTransport {
  const url = new URL(smtpUrl);
  const transporter: Transporter = nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
    secure: url.protocol === 'smtps:',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    // A local relay without TLS (smtp://localhost:25) is allowed; with STARTTLS on offer it is used.
    ignoreTLS: url.searchParams.get('ignoreTLS') === 'true',
    requireTLS: url.searchParams.get('requireTLS') === 'true',
    pool: true,
    maxConnections: 2,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
    logger: false,
    debug: false,
  });
  return {
    async send(to, message) {
      try {
        await transporter.sendMail({ from, to, subject: message.subject, text: message.text, disableUrlAccess: true, disableFileAccess: true });
      } catch (err) {
        throw new TransportError(smtpReason(err));
      }
    },
    close: () => transporter.close(),
  };
}

function smtpReason(err: unknown): string {
  const e = err as { code?: string; responseCode?: number; command?: string };
  if (e.responseCode) return `smtp ${e.responseCode}${e.command ? ` on ${e.command}` : ''}`;
  return `smtp ${e.code ?? 'error'}`;
}

// Webhooks ------------------------------------------------------------------------------------

/** DingTalk: sign = url-encoded base64(HMAC-SHA256(key = secret, message = `${timestamp}\n${secret}`)), timestamp in ms. */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return encodeURIComponent(createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64'));
}

/** Feishu: sign = base64(HMAC-SHA256(key = `${timestamp}\n${secret}`, message = empty)), timestamp in seconds. */
export function feishuSign(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

/** The request a channel's robot expects: URL (with DingTalk's signature) and JSON body. */
export function webhookRequest(kind: AlertChannelKind, config: ChannelConfig, message: AlertMessage, now: Date): { url: string; body: unknown } {
  const content = `${message.subject}\n${message.text}`;
  switch (kind) {
    case 'wecom':
      return { url: config.url, body: { msgtype: 'text', text: { content } } };
    case 'dingtalk': {
      let url = config.url;
      if (config.secret) {
        const ts = now.getTime();
        url += `${url.includes('?') ? '&' : '?'}timestamp=${ts}&sign=${dingtalkSign(config.secret, ts)}`;
      }
      return { url, body: { msgtype: 'text', text: { content } } };
    }
    case 'feishu': {
      const body: Record<string, unknown> = { msg_type: 'text', content: { text: content } };
      if (config.secret) {
        const ts = Math.floor(now.getTime() / 1000);
        body.timestamp = String(ts);
        body.sign = feishuSign(config.secret, ts);
      }
      return { url: config.url, body };
    }
  }
}

/** Posts to a robot and checks its answer: HTTP 2xx and errcode/code 0. */
export async function postWebhook(kind: AlertChannelKind, config: ChannelConfig, message: AlertMessage, now = new Date(), timeoutMs = 10_000): Promise<void> {
  const { url, body } = webhookRequest(kind, config, message, now);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string }; name?: string }).cause?.code ?? (err as { name?: string }).name ?? 'error';
    throw new TransportError(`${kind} ${cause}`);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new TransportError(`${kind} http ${res.status}`, res.status >= 500 || res.status === 429);
  let answer: { errcode?: unknown; code?: unknown; StatusCode?: unknown };
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    return; // a 2xx without JSON: accepted
  }
  const code = answer.errcode ?? answer.code ?? answer.StatusCode ?? 0;
  if (code !== 0) throw new TransportError(`${kind} errcode ${typeof code === 'number' || typeof code === 'string' ? code : '?'}`, false);
}
