import { describe, expect, it } from 'vitest';
import { isResumable, keptFields, resumeFromLogin } from '../../server/staff/resume.js';

describe('kept staff forms', () => {
  it('replays only case forms, never sign-in, administration or downloads', () => {
    expect(isResumable('/staff/cases/PG-QBC7-RF60/notes')).toBe(true);
    expect(isResumable('/staff/cases/PG-QBC7-RF60/legal-hold/clear')).toBe(true);
    expect(isResumable('/staff/cases/PG-QBC7-RF60/referrals/0b6e1c8e-7c1a-4c3e-9a55-6f1d2f0b9a11/updates')).toBe(true);
    for (const path of ['/staff/login', '/staff/admin/staff', '/staff/cases/PG-1/referrals/0b6e1c8e-7c1a-4c3e-9a55-6f1d2f0b9a11/bundle', '/staff/cases/../admin/notes', 'https://evil.example/staff/cases/X/notes', '/staff/cases/X/notes?next=/']) {
      expect(isResumable(path), path).toBe(false);
    }
  });

  it('keeps what was typed and the choices, never a token or a secret', () => {
    const fields = keptFields({ _csrf: 't', body: '备注', password: 'p', code: '123456', to: 'closed', attachments: ['a', 'b'], 'x[y]': 'odd' });
    expect(fields).toEqual([
      { name: 'body', value: '备注', text: true },
      { name: 'to', value: 'closed', text: false },
      { name: 'attachments', value: 'a', text: false },
      { name: 'attachments', value: 'b', text: false },
    ]);
  });

  it('reads the kept form back from the sign-in post, or nothing when the target is not a case form', () => {
    expect(resumeFromLogin({ resume_action: '/staff/cases/A1/messages', kept_body: '您好', kept_password: 'x', username: 'u' })).toEqual({
      action: '/staff/cases/A1/messages',
      fields: [{ name: 'body', value: '您好', text: true }],
    });
    expect(resumeFromLogin({ resume_action: '/staff/admin/settings', kept_body: 'x' })).toBeNull();
    expect(resumeFromLogin({ username: 'u' })).toBeNull();
  });
});
