/** Failures an employee form can explain. 'throttled' says only when to try again, nothing more. */
export class EmployeeError extends Error {
  constructor(
    readonly code: 'invalid_invite' | 'phone_taken' | 'invalid_login' | 'throttled' | 'wrong_password',
    readonly retryAfterSeconds?: number,
  ) {
    super(code);
  }
}
