import { t, type Locale } from '../i18n/index.js';
import { hasKey } from '../i18n/index.js';
import type { OutboxRow } from './repository.js';

/**
 * The text of an alert, built only from the outbox row: event code, case number, severity, what is
 * due and a link to the case on STAFF_URL. The row holds nothing else, so nothing else can leak:
 * never a word of the tip, a reporter detail, a file name or a category.
 */
export type AlertMessage = { readonly subject: string; readonly text: string };

export type MessageFacts = Pick<OutboxRow, 'event' | 'report_id' | 'case_number' | 'severity' | 'due_kind' | 'due_at' | 'stage' | 'count' | 'priority'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function caseLink(staffUrl: URL, reportId: string | null): string {
  const base = staffUrl.origin;
  return reportId && UUID.test(reportId) ? `${base}/staff/cases/${reportId}` : `${base}/staff`;
}

function utc(value: Date | string | null): string {
  if (!value) return '';
  return new Date(value).toISOString().slice(0, 16).replace('T', ' ');
}

function label(locale: Locale, key: string, fallback: string): string {
  return hasKey(key) ? t(locale, key) : fallback;
}

function title(locale: Locale, row: MessageFacts): string {
  if (row.event === 'report.received' && row.priority === 0) return t(locale, 'alerts.event.report.received_urgent');
  const base = label(locale, `alerts.event.${row.event}`, row.event);
  if (row.event === 'deadline' && row.stage) return `${base}: ${label(locale, `alerts.clock.${row.due_kind ?? ''}`, row.due_kind ?? '')} ${label(locale, `alerts.stage.${row.stage}`, row.stage)}`;
  return base;
}

/** The lines one alert contributes (also used, one block per alert, by digests). */
function bodyLines(locale: Locale, row: MessageFacts, staffUrl: URL): string[] {
  const lines = [title(locale, row)];
  if (row.case_number) lines.push(t(locale, 'alerts.line.case', { caseNumber: row.case_number }));
  if (row.severity) lines.push(t(locale, 'alerts.line.severity', { severity: label(locale, `review.severity.${row.severity}`, row.severity) }));
  const what = row.due_kind ? label(locale, `alerts.clock.${row.due_kind}`, row.due_kind) : null;
  if (row.event === 'audit.verification_failed' && what) lines.push(t(locale, 'alerts.line.reason', { what }));
  else if (row.stage && what) lines.push(t(locale, 'alerts.line.dueStage', { what, stage: label(locale, `alerts.stage.${row.stage}`, row.stage), dueAt: utc(row.due_at) }));
  else if (what && row.due_at) lines.push(t(locale, 'alerts.line.due', { what, dueAt: utc(row.due_at) }));
  if (row.count !== null && row.count !== undefined && !row.case_number) lines.push(t(locale, 'alerts.line.needsYou', { count: row.count }));
  lines.push(t(locale, 'alerts.line.open', { link: caseLink(staffUrl, row.report_id) }));
  return lines;
}

export function renderAlert(locale: Locale, row: MessageFacts, staffUrl: URL): AlertMessage {
  const subjectParts = [t(locale, 'alerts.subjectPrefix'), title(locale, row)];
  if (row.case_number) subjectParts.push(row.case_number);
  const text = [...bodyLines(locale, row, staffUrl), '', t(locale, 'alerts.line.footer')].join('\n');
  return { subject: subjectParts.join(' '), text };
}

/** One e-mail for several digest rows of one person. */
export function renderDigest(locale: Locale, rows: readonly MessageFacts[], staffUrl: URL): AlertMessage {
  if (rows.length === 1) return renderAlert(locale, rows[0]!, staffUrl);
  const blocks = rows.map((r) => bodyLines(locale, r, staffUrl).join('\n'));
  const text = [t(locale, 'alerts.line.digest', { count: rows.length }), '', blocks.join('\n\n'), '', t(locale, 'alerts.line.footer')].join('\n');
  return { subject: `${t(locale, 'alerts.subjectPrefix')} ${t(locale, 'alerts.line.digest', { count: rows.length }).replace(/[:：]$/, '')}`, text };
}

export function renderTest(locale: Locale, staffUrl: URL): AlertMessage {
  return {
    subject: `${t(locale, 'alerts.subjectPrefix')} ${t(locale, 'alerts.event.test')}`,
    text: [t(locale, 'alerts.line.test'), t(locale, 'alerts.line.open', { link: `${staffUrl.origin}/staff` })].join('\n'),
  };
}
