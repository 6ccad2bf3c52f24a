import { describe, expect, it } from 'vitest';
import { caseClocks, clockState, nextReporterFeedbackAt, type ClockFacts } from '../../server/core/alerts/deadlines.js';
import { digestTime } from '../../server/core/alerts/events.js';
import { retryDelay } from '../../server/core/alerts/worker.js';
import { dingtalkSign, feishuSign, webhookRequest } from '../../server/core/alerts/transports.js';
import { renderAlert } from '../../server/core/alerts/messages.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const t0 = new Date('2026-12-01T08:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

function facts(overrides: Partial<ClockFacts> = {}): ClockFacts {
  return {
    status: 'new',
    severity: 'critical',
    immediateDanger: true,
    createdAt: t0,
    acknowledgedAt: null,
    triageDueAt: at(60 * MIN),
    feedbackDueAt: at(30 * DAY),
    firstFeedbackAt: null,
    lastStaffMessageAt: null,
    referralPendingSince: null,
    ...overrides,
  };
}

describe('case clocks', () => {
  it('an immediate-danger tip: triage in 60 minutes, due soon in the last quarter, overdue, then twice overdue', () => {
    const f = facts();
    expect(caseClocks(f, at(10 * MIN))).toEqual([{ kind: 'triage', startedAt: t0, dueAt: at(60 * MIN), state: 'ok' }]);
    expect(caseClocks(f, at(46 * MIN))[0]!.state).toBe('due_soon');
    expect(caseClocks(f, at(60 * MIN))[0]!.state).toBe('overdue');
    expect(caseClocks(f, at(119 * MIN))[0]!.state).toBe('overdue');
    expect(caseClocks(f, at(120 * MIN))[0]!.state).toBe('twice_overdue');
  });

  it('another new tip: acknowledgement within 24 hours, due soon 6 hours before', () => {
    const f = facts({ severity: 'normal', immediateDanger: false, triageDueAt: at(24 * HOUR) });
    expect(caseClocks(f, at(17 * HOUR))[0]).toMatchObject({ kind: 'ack', state: 'ok' });
    expect(caseClocks(f, at(18 * HOUR))[0]).toMatchObject({ kind: 'ack', state: 'due_soon' });
  });

  it('after acknowledgement: first feedback within 7 days, then the feedback cadence, capped at 3 months', () => {
    const acked = facts({ status: 'acknowledged' as ClockFacts['status'], acknowledgedAt: at(HOUR) });
    expect(caseClocks(acked, at(2 * HOUR))).toEqual([{ kind: 'first_feedback', startedAt: at(HOUR), dueAt: at(HOUR + 7 * DAY), state: 'ok' }]);
    expect(nextReporterFeedbackAt(acked, at(2 * HOUR))).toEqual(at(HOUR + 7 * DAY));
    const answered = { ...acked, lastStaffMessageAt: at(2 * DAY), feedbackDueAt: at(32 * DAY) };
    expect(caseClocks(answered, at(3 * DAY))[0]).toMatchObject({ kind: 'feedback', dueAt: at(32 * DAY), state: 'ok' });
    const lateCadence = { ...answered, feedbackDueAt: at(200 * DAY) };
    expect(caseClocks(lateCadence, at(3 * DAY))[0]!.dueAt).toEqual(at(92 * DAY));
  });

  it('a referral waiting for a second approval: decided within 48 hours', () => {
    const f = facts({ status: 'acknowledged' as ClockFacts['status'], acknowledgedAt: t0, referralPendingSince: at(DAY) });
    expect(caseClocks(f, at(2 * DAY)).map((c) => c.kind)).toEqual(['referral_decision', 'first_feedback']);
    expect(caseClocks(f, at(3 * DAY + MIN)).find((c) => c.kind === 'referral_decision')!.state).toBe('overdue');
  });

  it('a closed case has no clock and no promised date', () => {
    const f = facts({ status: 'closed' });
    expect(caseClocks(f, t0)).toEqual([]);
    expect(nextReporterFeedbackAt(f, t0)).toBeNull();
  });

  it('clockState never calls a long clock due soon more than 24 hours ahead', () => {
    expect(clockState(t0, at(90 * DAY), at(88 * DAY))).toBe('ok');
    expect(clockState(t0, at(90 * DAY), at(89 * DAY + MIN))).toBe('due_soon');
  });
});

describe('delivery arithmetic', () => {
  it('backoff doubles per attempt and is capped', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, 30_000, 3600_000))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelay(20, 30_000, 3600_000)).toBe(3600_000);
  });

  it('digests go out at the next full hour, or at 01:00 UTC (09:00 in China)', () => {
    expect(digestTime('hourly', new Date('2026-12-01T08:15:00Z'))).toEqual(new Date('2026-12-01T09:00:00Z'));
    expect(digestTime('daily', new Date('2026-12-01T00:30:00Z'))).toEqual(new Date('2026-12-01T01:00:00Z'));
    expect(digestTime('daily', new Date('2026-12-01T08:00:00Z'))).toEqual(new Date('2026-12-02T01:00:00Z'));
  });
});

describe('robot signatures (published algorithms)', () => {
  it('DingTalk: url-encoded base64 HMAC-SHA256 of "timestamp\\nsecret" keyed with the secret', () => {
    // Computed independently: echo -ne "1700000000000\nSECtest" | openssl dgst -sha256 -hmac SECtest -binary | base64
    const sign = dingtalkSign('SECtest', 1700000000000);
    expect(decodeURIComponent(sign)).toBe('aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g=');
    const req = webhookRequest('dingtalk', { url: 'https://oapi.dingtalk.com/robot/send?access_token=abc', secret: 'SECtest' }, { subject: 's', text: 't' }, new Date(1700000000000));
    expect(req.url).toBe(`https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1700000000000&sign=${sign}`);
  });

  it('Feishu: base64 HMAC-SHA256 of an empty message keyed with "timestamp\\nsecret", in the body', () => {
    // printf '' | openssl dgst -sha256 -hmac "$(printf '1700000000\nabc')" -binary | base64
    expect(feishuSign('abc', 1700000000)).toBe('VIS10b0EBvzzSdFnuk4tznEmK5wHaruvf/WnViv2yR4=');
    const req = webhookRequest('feishu', { url: 'https://open.feishu.cn/open-apis/bot/v2/hook/x', secret: 'abc' }, { subject: 's', text: 't' }, new Date(1700000000000));
    expect(req.body).toEqual({ msg_type: 'text', content: { text: 's\nt' }, timestamp: '1700000000', sign: feishuSign('abc', 1700000000) });
  });
});

describe('alert text', () => {
  const row = { event: 'deadline', report_id: '7d1b6f2e-2f0c-4b6e-9a55-3c1d2e4f5a6b', case_number: 'PG-2026-000123', severity: 'critical', due_kind: 'triage', due_at: t0, stage: 'overdue', count: null, priority: 0 };
  it('is translated (zh-CN default, en) and links to the case on STAFF_URL', () => {
    const zh = renderAlert('zh-CN', row, new URL('https://staff.example.cn'));
    expect(zh.subject).toBe('[ParcelGuard] 期限提醒: 研判 已逾期 PG-2026-000123');
    expect(zh.text).toContain('严重程度：紧急');
    expect(zh.text).toContain('https://staff.example.cn/staff/cases/7d1b6f2e-2f0c-4b6e-9a55-3c1d2e4f5a6b');
    const en = renderAlert('en', row, new URL('https://staff.example.cn'));
    expect(en.text).toContain('Severity: Critical');
    expect(en.text).toContain('triage: overdue (was due 2026-12-01 08:00 UTC)');
  });
});
