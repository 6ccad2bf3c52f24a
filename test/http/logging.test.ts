import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ TRUST_PROXY: 'true' });
});
afterAll(async () => {
  await t.close();
});

describe('request logs', () => {
  it('never contain bodies, cookies, query strings, raw URLs or client addresses', async () => {
    const canaries = {
      body: 'CANARY-BODY-7f3a',
      cookie: 'CANARY-COOKIE-91bc',
      query: 'CANARY-QUERY-55d1',
      path: 'CANARY-PATH-0e2f',
      receipt: '4827193056482913',
      header: 'CANARY-HEADER-aa01',
    };
    const forwardedFor = '203.0.113.77';
    const agent = request.agent(t.publicApp);
    await agent.get(`/?q=${canaries.query}`).set('Cookie', `pg_followup=${canaries.cookie}`).set('X-Forwarded-For', forwardedFor).set('User-Agent', canaries.header);
    await agent.get(`/${canaries.path}/${canaries.receipt}`).set('X-Forwarded-For', forwardedFor);
    await agent.post('/').type('form').set('X-Forwarded-For', forwardedFor).send({ description: canaries.body, receipt: canaries.receipt });
    await agent.get(`/lang/en?next=/${canaries.path}`).set('X-Forwarded-For', forwardedFor);

    const text = t.logs.join('');
    expect(t.logs.length).toBeGreaterThanOrEqual(4); // the requests were logged…
    for (const value of Object.values(canaries)) expect(text).not.toContain(value); // …without what they carried
    expect(text).not.toContain(forwardedFor);
    expect(text).not.toMatch(/127\.0\.0\.1|::ffff|::1/);
    expect(text).not.toMatch(/remoteAddress|user-agent|cookie/i);
  });
});
