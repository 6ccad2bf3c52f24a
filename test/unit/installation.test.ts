import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db.js';
import { ensureInstallation, readInstallation, receiptDerivationSalt } from '../../server/core/installation/repository.js';
import { randomBytes } from '../../server/core/crypto/index.js';

const database = useTestDatabase();

describe('installation', () => {
  it('is created once; later starts keep its salt and its receipt cost even if the configured cost changes', async () => {
    const pepper = randomBytes(32);
    const first = await ensureInstallation(database.db, 'argon2id:m=1024,t=1,p=1', pepper);
    const second = await ensureInstallation(database.db, 'argon2id:m=65536,t=3,p=1', pepper);
    expect(second.receiptKdfCost).toBe('argon2id:m=1024,t=1,p=1');
    expect(Buffer.from(second.receiptDerivationSalt)).toEqual(Buffer.from(first.receiptDerivationSalt));
  });

  it('derives receipt salts that depend on the pepper, so the database alone cannot test a receipt', async () => {
    const a = await readInstallation(database.db, randomBytes(32));
    const b = await readInstallation(database.db, randomBytes(32));
    expect(Buffer.from(a.receiptDerivationSalt)).not.toEqual(Buffer.from(b.receiptDerivationSalt));
    const row = await database.db.selectFrom('installation').select('receipt_salt').executeTakeFirstOrThrow();
    expect(a.receiptDerivationSalt).toHaveLength(32);
    expect(Buffer.from(a.receiptDerivationSalt)).not.toEqual(Buffer.from(row.receipt_salt));
    expect(receiptDerivationSalt(new Uint8Array(32), new Uint8Array(16))).toHaveLength(32);
  });
});
