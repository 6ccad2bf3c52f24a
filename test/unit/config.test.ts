import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../server/core/config.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'parcelguard-config-'));

describe('loadConfig', () => {
  it('has safe defaults: public app on localhost:3000, staff app on localhost:3001, embedded database in DATA_DIR, production argon2id cost', () => {
    const dir = tmp();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config.public).toMatchObject({ host: '127.0.0.1', port: 3000, secure: false });
    expect(config.public.url.origin).toBe('http://127.0.0.1:3000');
    expect(config.staff).toMatchObject({ host: '127.0.0.1', port: 3001, secure: false });
    expect(config.staff.url.origin).toBe('http://127.0.0.1:3001');
    expect(config.database).toEqual({ driver: 'pglite', dataDir: path.join(dir, 'pglite') });
    expect(config.argon2).toEqual({ memoryKiB: 65536, iterations: 3, parallelism: 1, maxConcurrent: 2 });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.staff)).toBe(true);
    expect(Object.isFrozen(config.argon2)).toBe(true);
  });

  it('uses PostgreSQL when DATABASE_URL is set and secure cookies for an https PUBLIC_URL', () => {
    const config = loadConfig({ DATA_DIR: tmp(), DATABASE_URL: 'postgres://u@db/x', PUBLIC_URL: 'https://tips.example.cn' });
    expect(config.database).toMatchObject({ driver: 'pg', url: 'postgres://u@db/x' });
    expect(config.public.secure).toBe(true);
    expect(config.public.url.origin).toBe('https://tips.example.cn');
    // The staff app has its own origin: an https public site does not make it https.
    expect(config.staff.secure).toBe(false);
  });

  it('builds the staff origin from STAFF_HOST and STAFF_PORT, or takes STAFF_URL', () => {
    const derived = loadConfig({ DATA_DIR: tmp(), STAFF_HOST: '10.0.0.5', STAFF_PORT: '8443' });
    expect(derived.staff.url.origin).toBe('http://10.0.0.5:8443');
    const v6 = loadConfig({ DATA_DIR: tmp(), STAFF_HOST: '::1' });
    expect(v6.staff.url.origin).toBe('http://[::1]:3001');
    const given = loadConfig({ DATA_DIR: tmp(), STAFF_URL: 'https://staff.tips.internal' });
    expect(given.staff).toMatchObject({ host: '127.0.0.1', port: 3001, secure: true });
    expect(given.staff.url.origin).toBe('https://staff.tips.internal');
  });

  it('refuses to put both apps on one listener', () => {
    expect(() => loadConfig({ DATA_DIR: tmp(), PORT: '8080', STAFF_PORT: '8080' })).toThrow(/STAFF_PORT/);
    expect(() => loadConfig({ DATA_DIR: tmp(), PORT: '8080', STAFF_PORT: '8080', STAFF_HOST: '10.0.0.5' })).not.toThrow();
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['PUBLIC_URL', 'not a url'],
    ['PUBLIC_URL', 'ftp://x.cn'],
    ['STAFF_PORT', '-1'],
    ['STAFF_URL', 'javascript:alert(1)'],
    ['LOG_LEVEL', 'loud'],
    ['ARGON2_MEMORY_KIB', '12'],
    ['MIGRATE_ON_START', 'maybe'],
  ])('fails naming %s when it is %s', (name, value) => {
    expect(() => loadConfig({ DATA_DIR: tmp(), [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: tmp(), [name]: value })).toThrow(new RegExp(name));
  });

  it('generates the secrets file once, with 0600 permissions, and reuses it', () => {
    const dir = tmp();
    const first = loadConfig({ DATA_DIR: dir });
    const file = path.join(dir, 'secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadConfig({ DATA_DIR: dir });
    expect(Buffer.from(second.secrets.blindIndexKey)).toEqual(Buffer.from(first.secrets.blindIndexKey));
    expect(second.secrets.csrfSecret).toBe(first.secrets.csrfSecret);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('rateLimitKey');
  });

  it('reads SECRETS_FILE when given and refuses a malformed one, naming it', () => {
    const file = path.join(tmp(), 'custom.json');
    writeFileSync(file, '{"csrfSecret":"short"}', { mode: 0o600 });
    expect(() => loadConfig({ DATA_DIR: tmp(), SECRETS_FILE: file })).toThrow(/SECRETS_FILE/);
  });
});
