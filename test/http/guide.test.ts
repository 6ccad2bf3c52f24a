import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { CATEGORY_CODES, IMMEDIATE_DANGER_CODES } from '../../server/core/intake/taxonomy.js';
import { LOCALES, loadCatalogue } from '../../server/core/i18n/index.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('/guide', () => {
  it('renders in Simplified Chinese without an account, covering the five counter situations and every category', async () => {
    const res = await request(t.publicApp).get('/guide');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<html lang="zh-Hans">');
    for (const text of ['疑似间谍专用器材', '涉密文件资料走普通快递', '镓', '锗', '锑', '稀土', '外来物种入境', '拒绝实名', '立即拨打 110', '12339', '不要拆开']) {
      expect(res.text).toContain(text);
    }
    for (const code of CATEGORY_CODES) expect(res.text).toContain(`id="category-${code}"`);
    expect(res.text).not.toMatch(/guide\.|taxonomy\.|common\./);
    expect(res.headers['set-cookie']?.toString() ?? '').not.toContain('pg_employee');
  });

  it('renders completely in English', async () => {
    const res = await request(t.publicApp).get('/guide').set('Accept-Language', 'en');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<html lang="en">');
    for (const text of ['Guide to suspicious parcels', 'Suspected espionage equipment', 'gallium', 'Alien species arriving', 'Call the police on 110 now', 'Do not open']) {
      expect(res.text).toContain(text);
    }
    const withoutSwitch = res.text.replace(/<a class="lang-switch"[^>]*>[^<]*<\/a>/, '');
    expect(withoutSwitch).not.toMatch(/[\u4e00-\u9fff]{4}/); // no Chinese sentences left untranslated
    expect(res.text).not.toMatch(/guide\.|taxonomy\./);
  });

  it('marks the categories whose parcels can kill in transit with "call 110 now"', async () => {
    const res = await request(t.publicApp).get('/guide').set('Accept-Language', 'en');
    for (const code of IMMEDIATE_DANGER_CODES) {
      const section = res.text.split(`id="category-${code}"`)[1]!.split('</h4>')[0]!;
      expect(section).toContain('Call 110 now');
    }
    const other = res.text.split('id="category-tobacco"')[1]!.split('</h4>')[0]!;
    expect(other).not.toContain('Call 110 now');
  });

  it('has longer guidance than the one-line taxonomy text for every category, in both languages', () => {
    for (const locale of LOCALES) {
      const catalogue = loadCatalogue(locale);
      for (const code of CATEGORY_CODES) {
        const signs = catalogue.get(`guide.categories.${code}.signs`);
        const action = catalogue.get(`guide.categories.${code}.action`);
        expect(signs, `${locale} ${code}`).toBeTruthy();
        expect(action, `${locale} ${code}`).toBeTruthy();
        expect(signs!.length + action!.length).toBeGreaterThan(catalogue.get(`taxonomy.${code}.guidance`)!.length);
      }
    }
  });

  it('has no inline script or style and no outside resources', async () => {
    const res = await request(t.publicApp).get('/guide');
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(res.text).not.toMatch(/\sstyle="/i);
    expect(res.text).not.toMatch(/https?:\/\/(?!www\.12339\.gov\.cn)/);
  });
});
