import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { AppContext } from '../../core/context.js';
import { principalOf, requireStaff } from '../guard.js';
import type { StaffPrincipal } from '../guard.js';
import { CaseActionRefused } from '../../core/cases/access.js';
import { zodIssues } from '../../web/form-errors.js';
import { renderCasePage, typedValues } from './render.js';
import { contentDisposition, openCaseFile } from '../../core/cases/files.js';
import * as forms from '../../core/cases/schema.js';
import { acknowledgeCase, addNote, changeStatus, markReward, requestInformation, sendMessage, setLabels, setSeverity } from '../../core/cases/triage.js';
import { assignCase, revokeAccess, shareCase } from '../../core/cases/team.js';
import { closeAsDuplicate, linkCase, unlinkCase } from '../../core/cases/linking.js';
import { clearLegalHold, legalHoldSchema, setLegalHold } from '../../core/retention/hold.js';

type Action<S extends z.ZodType> = (staff: StaffPrincipal, caseNumber: string, input: z.infer<S>) => Promise<string | void>;

/**
 * The case page, its files, and every triage action. Each action is a plain POST form: parse with
 * its schema, call one service function, redirect back (303) with a confirmation; on a refusal,
 * re-render the case page with what was typed and the message (422).
 */
export function caseRoutes(ctx: AppContext): Router {
  const router = Router();
  const guard = requireStaff(ctx);

  router.get('/staff/cases/:caseNumber', guard, async (req, res) => {
    await renderCasePage(ctx, req, res);
  });

  router.get('/staff/cases/:caseNumber/files/:attachmentId', guard, async (req, res) => {
    await sendCaseFile(ctx, req, res);
  });

  function action<S extends z.ZodType>(path: string, form: string, schema: S, run: Action<S>, done: string) {
    router.post(`/staff/cases/:caseNumber/${path}`, guard, async (req, res) => {
      const caseNumber = String(req.params.caseNumber);
      const parsed = schema.safeParse(req.body ?? {});
      if (!parsed.success) {
        await renderCasePage(ctx, req, res, { form, values: typedValues(req.body), errors: zodIssues(parsed.error, 'cases.errors.invalid') }, 422);
        return;
      }
      let target: string | void;
      try {
        target = await run(principalOf(req), caseNumber, parsed.data);
      } catch (err) {
        if (!(err instanceof CaseActionRefused)) throw err;
        await renderCasePage(ctx, req, res, { form: err.form, values: typedValues(req.body), errors: [{ field: err.field, messageKey: err.messageKey }] }, 422);
        return;
      }
      res.redirect(303, target ?? `/staff/cases/${encodeURIComponent(caseNumber)}?done=${done}`);
    });
  }

  action('acknowledge', 'acknowledge', forms.emptySchema, (s, n) => acknowledgeCase(ctx, s, n), 'acknowledged');
  action('status', 'status', forms.statusSchema, (s, n, i) => changeStatus(ctx, s, n, i), 'status');
  action('severity', 'severity', forms.severitySchema, (s, n, i) => setSeverity(ctx, s, n, i.severity), 'severity');
  action('labels', 'labels', forms.labelsSchema, (s, n, i) => setLabels(ctx, s, n, i.labels), 'labels');
  action('assign', 'assign', forms.assignSchema, (s, n, i) => assignCase(ctx, s, n, i.assignee), 'assigned');
  action('share', 'share', forms.staffTargetSchema, (s, n, i) => shareCase(ctx, s, n, i.staffId), 'shared');
  action('revoke', 'revoke', forms.staffTargetSchema, async (s, n, i) => ((await revokeAccess(ctx, s, n, i.staffId)).self ? '/staff?done=left' : undefined), 'revoked');
  action('messages', 'message', forms.messageSchema, (s, n, i) => sendMessage(ctx, s, n, i.body), 'message');
  action('request-info', 'requestInfo', forms.questionSchema, (s, n, i) => requestInformation(ctx, s, n, i.question), 'question');
  action('reward', 'reward', forms.rewardSchema, (s, n, i) => markReward(ctx, s, n, i.note), 'reward');
  action('notes', 'note', forms.noteSchema, (s, n, i) => addNote(ctx, s, n, i.body), 'note');
  action('links', 'link', forms.linkSchema, (s, n, i) => linkCase(ctx, s, n, i.caseNumber), 'linked');
  action('unlink', 'unlink', forms.unlinkSchema, (s, n, i) => unlinkCase(ctx, s, n, i.reportId), 'unlinked');
  action('duplicate', 'duplicate', forms.duplicateSchema, (s, n, i) => closeAsDuplicate(ctx, s, n, i.caseNumber), 'duplicate');
  action('legal-hold', 'legalHold', legalHoldSchema, (s, n, i) => setLegalHold(ctx, s, n, i.reason), 'legalHold');
  action('legal-hold/clear', 'legalHoldClear', forms.emptySchema, (s, n) => clearLegalHold(ctx, s, n), 'legalHoldCleared');

  return router;
}

/**
 * Streams a decrypted attachment. Only allow-listed image types are ever labelled as images (and
 * only they may render inline); everything else is an opaque download. `nosniff` stops a browser
 * guessing otherwise, and the sandbox CSP keeps a file opened directly from running anything.
 * A file that fails to decrypt mid-way aborts the connection rather than end as if complete.
 */
async function sendCaseFile(ctx: AppContext, req: Request, res: Response): Promise<void> {
  const file = await openCaseFile(ctx, principalOf(req), String(req.params.caseNumber), String(req.params.attachmentId));
  const inline = file.inlineAllowed && req.query.download !== '1';
  res.setHeader('Content-Type', inline ? file.meta.type : 'application/octet-stream');
  res.setHeader('Content-Disposition', contentDisposition(inline ? 'inline' : 'attachment', file.meta.name));
  res.setHeader('Content-Length', String(file.meta.size));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
  res.setHeader('Cache-Control', 'no-store');
  await pipeline(Readable.from(file.chunks, { objectMode: false }), res);
}
