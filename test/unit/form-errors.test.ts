import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldError, formErrors, summaryError, zodFormErrors, zodIssues } from '../../server/web/form-errors.js';

const schema = z.object({
  username: z.string().min(1, 'staff.errors.usernameRequired'),
  password: z.string().min(1, 'staff.errors.passwordRequired').max(3, 'not an i18n key'),
});

describe('form errors', () => {
  it('keep the first problem of each field and replace untranslated messages by the fallback key', () => {
    const parsed = schema.safeParse({ username: '', password: 'toolong' });
    expect(parsed.success).toBe(false);
    expect(zodIssues(parsed.error!, 'cases.errors.invalid')).toEqual([
      { field: 'username', messageKey: 'staff.errors.usernameRequired' },
      { field: 'password', messageKey: 'cases.errors.invalid' },
    ]);
  });

  it('translate, follow the page order and link each summary item to its field', () => {
    const errors = formErrors('en', [
      { field: 'b', messageKey: 'staff.errors.loginFailed' },
      { field: 'a', messageKey: 'staff.errors.throttled', vars: { minutes: 3 } },
      { field: 'a', messageKey: 'staff.errors.loginFailed' },
      { field: 'form', messageKey: 'staff.errors.loginFailed' },
    ], { order: ['a', 'b'], idPrefix: 'x-' });
    expect(errors.summary.map((i) => [i.field, i.href])).toEqual([['a', '#x-a'], ['b', '#x-b'], ['form', null]]);
    expect(errors.summary[0]!.message).toContain('3');
    expect(errors.byField.a).toBe(errors.summary[0]!.message);
    expect(Object.keys(errors.byField)).toEqual(['a', 'b', 'form']);
  });

  it('give the same shape for a failed parse, a single refusal and a summary-only refusal', () => {
    const parsed = schema.safeParse({});
    const fromZod = zodFormErrors('zh-CN', parsed.error!, { fieldId: (f) => `field-${f}` });
    expect(fromZod.summary.map((i) => i.href)).toEqual(['#field-username', '#field-password']);
    expect(fieldError('en', 'username', 'staff.errors.usernameTaken').byField.username).toBeTruthy();
    const onlySummary = summaryError('en', 'username', 'staff.errors.loginFailed');
    expect(onlySummary.byField).toEqual({});
    expect(onlySummary.summary).toEqual([{ field: 'username', message: expect.any(String), href: '#username' }]);
  });
});
