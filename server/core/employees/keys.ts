import { newSymmetricKey, openJson, openSealedKey, sealJson, sealKeyTo, type BoxKeyPair } from '../crypto/index.js';
import type { IdentityGrant } from './repository.js';

/** Who the employee is. Sealed; never in a plaintext column, a log or an audit row. */
export type EmployeeIdentity = {
  readonly name: string;
  readonly employeeNumber: string;
  readonly phone: string;
  readonly company: string;
  readonly outlet: { readonly name: string; readonly province: string; readonly city: string };
};

export type IdentityRecipients = {
  readonly employeePublicKey: Uint8Array;
  readonly custodians: readonly { id: string; publicKey: Uint8Array }[];
};

/**
 * Seals the identity under a fresh employee identity key KE (purpose 'employee-identity', context
 * the employee id, so the record cannot be moved to another account), and grants KE to the
 * employee and to every active custodian. Reviewers get nothing, and neither does the escrow key:
 * as with a reporter's KI, reading an employee's identity needs a custodian, and escrow recovery
 * (an offline key that opens every report) must never be a way around the identity promise.
 */
export function sealEmployeeIdentity(employeeId: string, identity: EmployeeIdentity, to: IdentityRecipients) {
  const key = newSymmetricKey();
  const identitySealed = sealJson(key, 'employee-identity', employeeId, identity);
  const grants: IdentityGrant[] = [
    { recipientKind: 'employee', recipientId: null, sealedKey: sealKeyTo(key, to.employeePublicKey) },
    ...to.custodians.map((c) => ({ recipientKind: 'staff' as const, recipientId: c.id, sealedKey: sealKeyTo(key, c.publicKey) })),
  ];
  key.fill(0);
  return { identitySealed, grants };
}

/** Opens an identity record with a grant sealed to `holder` (the employee or a custodian). */
export function openEmployeeIdentity(employeeId: string, identitySealed: Uint8Array, grant: Uint8Array, holder: BoxKeyPair): EmployeeIdentity {
  const key = openSealedKey(grant, holder);
  try {
    return openJson<EmployeeIdentity>(key, 'employee-identity', employeeId, identitySealed);
  } finally {
    key.fill(0);
  }
}
