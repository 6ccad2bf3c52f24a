/**
 * Reporter activity is kept only to the day: reviewers need "read your message: yes, on 3 Dec",
 * not the millisecond, and a millisecond would match a follow-up to a sign-in, a request log or
 * the submission itself. The day is Beijing's (UTC+8, no daylight saving), the reviewers' day.
 */
const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** The start (00:00 Beijing time) of the day `now` falls on. */
export function reporterDay(now = new Date()): Date {
  const local = now.getTime() + BEIJING_OFFSET_MS;
  return new Date(local - (((local % DAY_MS) + DAY_MS) % DAY_MS) - BEIJING_OFFSET_MS);
}
