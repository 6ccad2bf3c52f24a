import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/db.js';
import { createSession, destroySession, destroySessionsOf, loadSession } from '../../server/core/sessions/store.js';
import { generateBoxKeyPair, unwrapKey, CryptoError, randomBytes } from '../../server/core/crypto/index.js';

const database = useTestDatabase();

const principal = '0b6f3c6e-3a43-4c1b-8f0e-2d5a1c9e7f10';

describe('session store', () => {
  it('round-trips the private key through the cookie secret; the row alone cannot open it', async () => {
    const { db } = database;
    const keys = generateBoxKeyPair();
    const cookie = await createSession(db, 'staff', principal, keys.privateKey);
    const session = await loadSession(db, 'staff', cookie);
    expect(session?.principalId).toBe(principal);
    expect(Buffer.from(session!.privateKey!)).toEqual(Buffer.from(keys.privateKey));

    const row = await db.selectFrom('sessions').selectAll().where('id_hash', '=', session!.idHash).executeTakeFirstOrThrow();
    const rowText = JSON.stringify(row) + Buffer.from(row.id_hash).toString('hex') + Buffer.from(row.wrapped_key!).toString('hex');
    expect(rowText).not.toContain(cookie.split('.')[0]); // the id is stored only hashed
    expect(rowText).not.toContain(Buffer.from(keys.privateKey).toString('hex'));
    // Without the cookie's secret half the wrapped key is noise: random guesses fail.
    for (let i = 0; i < 3; i++) expect(() => unwrapKey(new Uint8Array(row.wrapped_key!), randomBytes(32))).toThrow(CryptoError);
  });

  it('a cookie with the right id but a wrong secret opens nothing', async () => {
    const { db } = database;
    const cookie = await createSession(db, 'staff', principal, generateBoxKeyPair().privateKey);
    const [id] = cookie.split('.');
    const forged = `${id}.${Buffer.from(randomBytes(32)).toString('base64url')}`;
    expect(await loadSession(db, 'staff', forged)).toBeNull();
    expect(await loadSession(db, 'staff', 'garbage')).toBeNull();
    expect(await loadSession(db, 'staff', undefined)).toBeNull();
    expect(await loadSession(db, 'employee', cookie)).toBeNull(); // wrong kind
  });

  it('expires after the idle timeout and after the absolute lifetime', async () => {
    const { db } = database;
    const idle = await createSession(db, 'reporter', principal, null, {}, { idleSeconds: 60, absoluteSeconds: 3600 });
    expect(await loadSession(db, 'reporter', idle, new Date(Date.now() + 30_000))).not.toBeNull();
    expect(await loadSession(db, 'reporter', idle, new Date(Date.now() + 10 * 60_000))).toBeNull();

    const absolute = await createSession(db, 'reporter', principal, null, {}, { idleSeconds: 3600, absoluteSeconds: 120 });
    expect(await loadSession(db, 'reporter', absolute, new Date(Date.now() + 119_000 - 1000))).not.toBeNull();
    expect(await loadSession(db, 'reporter', absolute, new Date(Date.now() + 121_000))).toBeNull();
  });

  it('logout ends one session; destroySessionsOf ends them all', async () => {
    const { db } = database;
    const a = await createSession(db, 'employee', principal, null);
    const b = await createSession(db, 'employee', principal, null);
    await destroySession(db, a);
    expect(await loadSession(db, 'employee', a)).toBeNull();
    expect(await loadSession(db, 'employee', b)).not.toBeNull();
    expect(await destroySessionsOf(db, 'employee', principal)).toBe(1);
    expect(await loadSession(db, 'employee', b)).toBeNull();
  });
});
