import type { NextFunction, Request, Response } from 'express';
import type { AppContext } from '../core/context.js';
import type { StaffRole } from '../core/db/schema.js';
import { cookieName } from '../web/cookies.js';
import { NOT_KEPT, type CsrfRejectedHandler } from '../web/errors.js';

/**
 * A staff form posted after its session ended (30 idle minutes, the 12-hour limit, or signed out in
 * another tab) comes back on the sign-in page with what was typed, in the response only (never
 * stored, never logged), and the real cause. Signing in again with password and TOTP then sends it:
 * the sign-in handler replays the kept form against its own route with the new session.
 */

/** Only case forms are replayed: each is a plain POST that redirects back to its case. */
const RESUMABLE = /^\/staff\/cases\/[A-Za-z0-9-]{1,40}\/(?:[a-z-]{2,20}(?:\/clear)?|referrals\/[0-9a-f-]{36}\/(?:updates|outcome))$/;
/** Fields a reviewer writes at length: shown as text areas; the rest (choices) travel as hidden fields. */
const TEXT_FIELDS = new Set(['body', 'question', 'note', 'labels', 'summary', 'reference', 'desk']);
const KEPT_PREFIX = 'kept_';

export type ResumeCause = 'sessionEnded' | 'signedOut' | 'cookiesOff';
export type KeptField = { readonly name: string; readonly value: string; readonly text: boolean };
export type ResumeForm = { readonly action: string; readonly fields: KeptField[] };

export function isResumable(path: string): boolean {
  return RESUMABLE.test(path);
}

/** The form's own fields, without the token or anything secret. */
export function keptFields(body: unknown): KeptField[] {
  const fields: KeptField[] = [];
  for (const [name, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (NOT_KEPT.test(name) || !/^[a-zA-Z][a-zA-Z0-9_]{0,40}$/.test(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'string') fields.push({ name, value: v, text: TEXT_FIELDS.has(name) });
    }
  }
  return fields;
}

/** The kept form as the sign-in page posted it back (resume_action and kept_* fields), or null. */
export function resumeFromLogin(body: unknown): ResumeForm | null {
  const b = (body ?? {}) as Record<string, unknown>;
  const action = typeof b.resume_action === 'string' ? b.resume_action : '';
  if (!isResumable(action)) return null;
  const fields = keptFields(Object.fromEntries(Object.entries(b).filter(([n]) => n.startsWith(KEPT_PREFIX)).map(([n, v]) => [n.slice(KEPT_PREFIX.length), v])));
  return { action, fields };
}

export function renderResumeLogin(res: Response, status: number, cause: ResumeCause | null, resume: ResumeForm, extra: Record<string, unknown> = {}): void {
  res.status(status).render('login', {
    layout: 'staff',
    titleKey: 'staff.resume.title',
    values: {},
    ...extra,
    resume: { cause, action: resume.action, fields: resume.fields.map((f) => ({ ...f, keptName: `${KEPT_PREFIX}${f.name}` })) },
  });
}

/**
 * Replays the kept form on the app's own routes, as if the browser had posted it with the new
 * session: the route, its guard, schema and service run as usual (and redirect to the case). The
 * sign-in form that carried it passed the CSRF check, and RESUMABLE limits where it may go.
 */
function replayKeptForm(req: Request, next: NextFunction, resume: ResumeForm, sessionCookieName: string, cookie: string): void {
  const body: Record<string, string | string[]> = {};
  for (const f of resume.fields) {
    const prior = body[f.name];
    body[f.name] = prior === undefined ? f.value : [...(Array.isArray(prior) ? prior : [prior]), f.value];
  }
  req.body = body;
  req.cookies = { ...req.cookies, [sessionCookieName]: cookie };
  req.url = resume.action;
  next();
}

/** After a successful sign-in: sends the form it carried, if any (an analyst has no case forms). True when sent on. */
export function sendKeptForm(ctx: AppContext, req: Request, next: NextFunction, role: StaffRole, cookie: string): boolean {
  const resume = role === 'analyst' ? null : resumeFromLogin(req.body);
  if (!resume) return false;
  replayKeptForm(req, next, resume, cookieName(ctx.config.staff, 'staff'), cookie);
  return true;
}

/** The staff app's answer to a case form refused by the CSRF check: the sign-in page with the form kept. */
export function staffCsrfRejected(ctx: AppContext): CsrfRejectedHandler {
  const staffCookieName = cookieName(ctx.config.staff, 'staff');
  return (req, res, cause) => {
    if (req.method !== 'POST' || !isResumable(req.path) || /^multipart\//i.test(req.headers['content-type'] ?? '')) return false;
    const why: ResumeCause = cause === 'cookiesOff' ? 'cookiesOff' : req.cookies?.[staffCookieName] ? 'sessionEnded' : 'signedOut';
    renderResumeLogin(res, 403, why, { action: req.path, fields: keptFields(req.body) });
    return true;
  };
}
