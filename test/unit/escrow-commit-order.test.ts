import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { escrowStatus, initEscrow } from '../../server/core/escrow/service.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});
const db = () => t.ctx.database.db;
const events = async () => (await db().selectFrom('audit_log').select('event').where('event', 'like', 'escrow.%').orderBy('seq').execute()).map((r) => r.event);

describe('escrow initialisation order', () => {
  it('hands the private key over only after the public key and its audit row committed', async () => {
    let seenInDatabase: unknown = 'not called';
    const result = await initEscrow(db(), 'https://tips.example.cn', {
      deliver: async (keyFile) => {
        expect(keyFile).toContain('private-key: ');
        // Another connection (the whole database) already sees the committed key.
        seenInDatabase = await escrowStatus(db());
      },
    });
    expect(result).toMatchObject({ fingerprint: expect.stringMatching(/^sha256:/) });
    expect(seenInDatabase).toMatchObject({ fingerprint: (result as { fingerprint: string }).fingerprint });
    expect(await events()).toEqual(['escrow.initialised']);
  });

  it('withdraws the public key (audited) when the private key cannot be delivered, and abandons the reserved place', async () => {
    await db().updateTable('installation').set({ escrow_public_key: null, escrow_created_at: null }).execute();
    const calls: string[] = [];
    await expect(
      initEscrow(db(), 'https://tips.example.cn', {
        reserve: async () => void calls.push('reserve'),
        deliver: async () => {
          calls.push('deliver');
          throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
        },
        abandon: async () => void calls.push('abandon'),
      }),
    ).rejects.toThrow('disk full');
    expect(calls).toEqual(['reserve', 'deliver', 'abandon']);
    expect(await escrowStatus(db())).toBeNull();
    expect((await events()).slice(-2)).toEqual(['escrow.initialised', 'escrow.withdrawn']);
  });

  it('abandons the reserved place and delivers nothing when a key already exists', async () => {
    await initEscrow(db(), 'x', { deliver: async () => {} });
    const calls: string[] = [];
    const result = await initEscrow(db(), 'x', { reserve: async () => void calls.push('reserve'), deliver: async () => void calls.push('deliver'), abandon: async () => void calls.push('abandon') });
    expect(result).toBe('exists');
    expect(calls).toEqual(['reserve', 'abandon']);
  });
});
