/**
 * The bounded image pipeline seen from the forms: when every photo-processing place is taken, a
 * form with a photo answers 503 with Retry-After and comes back with everything typed, nothing
 * staged; once a place is free the same form goes through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import sharp from 'sharp';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { csrfTokenFrom } from '../helpers/forms.js';
import { createTestReviewer, postReportForm } from '../helpers/reports.js';
import type { ImageTicket } from '../../server/core/images/jobs.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ IMAGE_CONCURRENCY: '1', IMAGE_QUEUE_LENGTH: '1' });
  await createTestReviewer(t, { custodian: true });
});
afterAll(async () => {
  await t.close();
});

const stagedCount = async () =>
  Number((await t.database.db.selectFrom('attachments').select((eb) => eb.fn.countAll<number>().as('n')).where('report_id', 'is', null).executeTakeFirstOrThrow()).n);

const FIELDS = { categories: 'explosives', description: '网点收到的包裹渗出刺鼻液体，外箱写着“工艺品”。', immediate_danger: 'no', province: 'GD', identity_choice: 'anonymous', action: 'review' };

describe('a full image queue', () => {
  it('answers 503 with Retry-After, keeps every typed word, stages nothing; then the retry goes through', async () => {
    const photo = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#345678' } }).jpeg().toBuffer();
    const tickets: ImageTicket[] = [t.ctx.images.admit(), t.ctx.images.admit()];
    expect(() => t.ctx.images.admit()).toThrow();
    const agent = request.agent(t.publicApp);
    const token = csrfTokenFrom((await agent.get('/report').set('Accept-Language', 'en')).text);
    const before = await stagedCount();
    const busy = await postReportForm(agent, '/report', token, FIELDS, [{ name: 'parcel.jpg', type: 'image/jpeg', body: photo }]).set('Accept-Language', 'en');
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBeDefined();
    expect(busy.text).toContain('外箱写着“工艺品”');
    expect(busy.text).toContain('Everything you typed is still in this form');
    expect(await stagedCount()).toBe(before);

    for (const ticket of tickets) ticket.release();
    const retry = await postReportForm(agent, '/report', csrfTokenFrom(busy.text), FIELDS, [{ name: 'parcel.jpg', type: 'image/jpeg', body: photo }]);
    expect(retry.status).toBe(200);
    expect(retry.text).toContain('parcel.jpg');
    expect(t.ctx.images.inFlight).toBe(0);
  });

  it('never runs more photos at once than configured, and gives every place back', async () => {
    let running = 0;
    let peak = 0;
    const job = () => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
    };
    const first = t.ctx.images.admit();
    const second = t.ctx.images.admit();
    await Promise.all([first.run(job()), second.run(job())]);
    expect(peak).toBe(1);
    expect(t.ctx.images.inFlight).toBe(0);
  });
});
