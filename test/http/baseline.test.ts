import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import express from 'express';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { setupViews } from '../../server/web/views.js';
import { errorHandler } from '../../server/web/errors.js';
import { localeMiddleware } from '../../server/web/locale.js';
import cookieParser from 'cookie-parser';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

function csrfCookie(setCookie: string[] | string | undefined): string {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const raw = list.find((c) => c.startsWith('pg_csrf='));
  if (!raw) throw new Error('no csrf cookie');
  return raw.split(';')[0]!.slice('pg_csrf='.length);
}

describe('security headers', () => {
  it.each(['/', '/healthz', '/no-such-page', '/lang/en?next=/', '/static/css/app.css'])('are set on %s', async (path) => {
    const res = await request(t.publicApp).get(path);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("img-src 'self'");
    expect(csp).toContain("font-src 'self'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(res.headers['permissions-policy']).toMatch(/camera=\(\).*microphone=\(\).*geolocation=\(\)/);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each(['/', '/healthz', '/no-such-page'])('dynamic page %s is never cached', async (path) => {
    const res = await request(t.publicApp).get(path);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('pages have no inline scripts or styles (the CSP would block them)', async () => {
    const res = await request(t.publicApp).get('/');
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(res.text).not.toMatch(/<style/i);
    expect(res.text).not.toMatch(/\sstyle="/i);
    expect(res.text).not.toMatch(/https?:\/\/(?!www\.12339\.gov\.cn)/);
  });

  it('cookies are HttpOnly and SameSite, without Secure on plain http', async () => {
    const res = await request(t.publicApp).get('/');
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('pg_csrf='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
  });
});

describe('https deployment', () => {
  it('uses __Host- cookies with Secure and sends HSTS', async () => {
    const https = await createTestApp({ PUBLIC_URL: 'https://tips.example.cn' });
    try {
      const res = await request(https.publicApp).get('/');
      const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-pg_csrf='));
      expect(cookie).toMatch(/Secure/);
      expect(cookie).toMatch(/Path=\//);
      expect(cookie).not.toMatch(/Domain=/);
      expect(res.headers['strict-transport-security']).toContain('max-age=');
    } finally {
      await https.close();
    }
  });
});

describe('landing page', () => {
  it('is in Simplified Chinese by default and lists the taxonomy and the emergency numbers', async () => {
    const res = await request(t.publicApp).get('/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<html lang="zh-Hans">');
    expect(res.text).toContain('寄递卫士');
    expect(res.text).toContain('疑似间谍专用器材');
    expect(res.text).toContain('稀有金属及出口管制物项');
    expect(res.text).toContain('寄件人拒绝实名或身份信息不实');
    expect(res.text).toContain('110');
    expect(res.text).toContain('12339');
    expect(res.text).not.toMatch(/taxonomy\.|landing\.|common\./); // no untranslated keys
  });

  it('is in English when the browser prefers English', async () => {
    const res = await request(t.publicApp).get('/').set('Accept-Language', 'en-GB,en;q=0.9,zh;q=0.5');
    expect(res.text).toContain('<html lang="en">');
    expect(res.text).toContain('Suspected espionage equipment');
    expect(res.text).not.toMatch(/taxonomy\.|landing\.|common\./);
  });

  it('the language switch sets a cookie that wins over Accept-Language and redirects only locally', async () => {
    const agent = request.agent(t.publicApp);
    const switched = await agent.get('/lang/en?next=%2Freport');
    expect(switched.status).toBe(303);
    expect(switched.headers.location).toBe('/report');
    const page = await agent.get('/').set('Accept-Language', 'zh-CN');
    expect(page.text).toContain('<html lang="en">');

    for (const next of ['//evil.example', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)']) {
      const res = await request(t.publicApp).get(`/lang/zh-CN?next=${encodeURIComponent(next)}`);
      expect(res.headers.location).toBe('/');
    }
    const unknown = await request(t.publicApp).get('/lang/fr');
    expect(unknown.headers['set-cookie']?.toString() ?? '').not.toContain('pg_lang=');
  });
});

describe('CSRF', () => {
  it('refuses a POST without a token with a translated page', async () => {
    const zh = await request(t.publicApp).post('/').type('form').send({ a: '1' });
    expect(zh.status).toBe(403);
    expect(zh.text).toContain('表单已过期');
    const en = await request(t.publicApp).post('/').set('Accept-Language', 'en').type('form').send({ a: '1' });
    expect(en.status).toBe(403);
    expect(en.text).toContain('The form has expired');
  });

  it('refuses a token that does not match the cookie, and accepts the matching pair', async () => {
    const agent = request.agent(t.publicApp);
    const page = await agent.get('/');
    const token = csrfCookie(page.headers['set-cookie']);
    const forged = await agent.post('/').type('form').send({ _csrf: token.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) });
    expect(forged.status).toBe(403);
    const good = await agent.post('/').type('form').send({ _csrf: token });
    expect(good.status).toBe(404); // passed the CSRF check; no POST route at /
  });
});

describe('error pages', () => {
  it('an unknown URL gets a translated 404', async () => {
    const zh = await request(t.publicApp).get('/definitely/not/here');
    expect(zh.status).toBe(404);
    expect(zh.text).toContain('页面不存在');
    const en = await request(t.publicApp).get('/definitely/not/here').set('Accept-Language', 'en');
    expect(en.text).toContain('Page not found');
  });

  it('an unexpected error renders a translated 500 without the stack or the message', async () => {
    const logs: string[] = [];
    const { createLogger } = await import('../../server/core/logger.js');
    const { Writable } = await import('node:stream');
    const logger = createLogger('info', new Writable({ write(c, _e, d) { logs.push(String(c)); d(); } }));
    const app = express();
    setupViews(app, 'public', false);
    app.use(cookieParser());
    app.use(localeMiddleware(t.config.public, '/lang'));
    app.get('/boom', () => {
      throw new Error('internal detail "CANARY-VALUE" at server/secret.ts');
    });
    app.use(errorHandler(logger, 'public'));
    const res = await request(app).get('/boom');
    expect(res.status).toBe(500);
    expect(res.text).toContain('出错了');
    expect(res.text).not.toContain('internal detail');
    expect(res.text).not.toContain('secret.ts');
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
    expect(logs.join('')).toContain('request failed');
    expect(logs.join('')).not.toContain('CANARY-VALUE'); // quoted values are masked in logs
  });

  it('falls back to plain text when the error template itself fails', async () => {
    const { createLogger } = await import('../../server/core/logger.js');
    const app = express();
    app.set('view engine', 'hbs');
    app.engine('hbs', (_p, _o, cb) => cb(new Error('template broken')));
    app.get('/boom', () => {
      throw new Error('x');
    });
    app.use(errorHandler(createLogger('silent'), 'public'));
    const res = await request(app).get('/boom');
    expect(res.status).toBe(500);
    expect(res.text).toContain('Something went wrong');
  });

  it('an oversized body gets a translated 413, not a crash', async () => {
    const agent = request.agent(t.publicApp);
    const page = await agent.get('/');
    const token = csrfCookie(page.headers['set-cookie']);
    const res = await agent.post('/').type('form').send(`_csrf=${token}&x=${'a'.repeat(t.config.bodyLimitBytes + 10)}`);
    expect(res.status).toBe(413);
    expect(res.text).toContain('内容过大');
  });
});

describe('/healthz', () => {
  it('answers 200 after a database round trip, and 503 when the database is unreachable', async () => {
    const own = await createTestApp();
    const ok = await request(own.publicApp).get('/healthz');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 'ok' });
    await own.database.close();
    const down = await request(own.publicApp).get('/healthz');
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'unavailable' });
    await own.close().catch(() => {});
  });
});
