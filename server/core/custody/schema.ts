import { z } from 'zod';
import { sealedText } from '../cases/schema.js';

/** A reviewer's reason for needing the identity, and a custodian's decision with its reason. */
export const identityRequestSchema = z.object({ reason: sealedText(2_000) });

export const decisionSchema = z.object({
  decision: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.enum(['approve', 'deny'], 'custody.errors.decision')),
  reason: sealedText(2_000),
});

/** The custodian who receives the identity keys. */
export const handOverSchema = z.object({
  to: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), z.uuid('custody.handover.errors.target')),
});
