import { describe, expect, it } from 'vitest';
import { deletionDate, isDue, ruleOf, type RetentionFacts } from '../../server/core/retention/policy.js';

const periods = { unfoundedDays: 180, referredDays: 1095, otherDays: 365 };
const DAY = 86_400_000;
const closedAt = new Date('2027-01-10T08:00:00Z');
const facts = (over: Partial<RetentionFacts> = {}): RetentionFacts => ({
  status: 'closed', outcome: 'unfounded', closedAt, legalHold: false, shreddedAt: null, lastReferralAt: null, ...over,
});

describe('retention policy', () => {
  it('counts each outcome\'s period from closing', () => {
    expect(deletionDate(facts(), periods)).toEqual(new Date(closedAt.getTime() + 180 * DAY));
    for (const outcome of ['handled_internally', 'duplicate', 'insufficient_information', 'withdrawn'] as const) {
      expect(ruleOf(outcome)).toBe('other');
      expect(deletionDate(facts({ outcome }), periods)).toEqual(new Date(closedAt.getTime() + 365 * DAY));
    }
    expect(deletionDate(facts({ outcome: 'referred_to_authority' }), periods)).toEqual(new Date(closedAt.getTime() + 1095 * DAY));
  });

  it('counts a referred case from the referral\'s last update when that is later than closing', () => {
    const update = new Date(closedAt.getTime() + 40 * DAY);
    expect(deletionDate(facts({ outcome: 'referred_to_authority', lastReferralAt: update }), periods)).toEqual(new Date(update.getTime() + 1095 * DAY));
    const earlier = new Date(closedAt.getTime() - 40 * DAY);
    expect(deletionDate(facts({ outcome: 'referred_to_authority', lastReferralAt: earlier }), periods)).toEqual(new Date(closedAt.getTime() + 1095 * DAY));
    // Other outcomes ignore referral activity.
    expect(deletionDate(facts({ lastReferralAt: update }), periods)).toEqual(new Date(closedAt.getTime() + 180 * DAY));
  });

  it('never schedules an open, held or already shredded case', () => {
    for (const status of ['new', 'acknowledged', 'in_review', 'awaiting_reporter', 'referred'] as const) {
      expect(deletionDate(facts({ status, closedAt: null, outcome: null }), periods)).toBeNull();
      expect(isDue(facts({ status, closedAt: null, outcome: null }), periods, new Date(closedAt.getTime() + 100 * 365 * DAY))).toBe(false);
    }
    expect(deletionDate(facts({ legalHold: true }), periods)).toBeNull();
    expect(deletionDate(facts({ shreddedAt: new Date() }), periods)).toBeNull();
  });

  it('is due exactly at the end of the period', () => {
    const end = closedAt.getTime() + 180 * DAY;
    expect(isDue(facts(), periods, new Date(end - 1))).toBe(false);
    expect(isDue(facts(), periods, new Date(end))).toBe(true);
  });
});
