import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateBoxKeyPair, openBundle } from '../../server/core/crypto/index.js';
import { insertAuthority } from '../../server/core/referral/repository.js';
import { MODES } from './support/chromium.js';
import { useBrowserSuite } from './support/suite.js';
import { zh } from './support/text.js';
import { button, field, link } from './support/forms.js';
import { enrolInBrowser, operatorCreatesStaff } from './support/staff.js';
import { fillReport, followupLogin, photoFile, reviewAndSend } from './support/report-flow.js';

const suite = useBrowserSuite();

describe.each(MODES)('reviewer workspace with JavaScript $name', (mode) => {
  it('triage, message the reporter, identity request approved by a custodian, referral to 12339 and its printed sheet', async () => {
    const shots = mode.javaScriptEnabled;
    // Two staff members enrol first: a report is sealed to the reviewers active when it arrives.
    const reviewer = await suite.session(mode);
    const reviewerName = `triage-${mode.name}`;
    await enrolInBrowser(reviewer, await operatorCreatesStaff(suite.app, { username: reviewerName, role: 'reviewer' }), reviewerName);
    const custodian = await suite.session(mode);
    const custodianName = `custodian-${mode.name}`;
    await enrolInBrowser(custodian, await operatorCreatesStaff(suite.app, { username: custodianName, role: 'reviewer', custodian: true }), custodianName);

    // A reporter files a tip with a photo and leaves their name in confidence.
    const reporter = await suite.session(mode);
    await reporter.goto(suite.app.url('/report'));
    await reporter.check('report form');
    const description = `寄往境外的包裹内有标注“绝密”的图纸（${mode.name}）。`;
    const reporterName = `李举报${mode.name}`;
    await fillReport(reporter, { category: 'state_secrets', description, province: 'JL', photo: await photoFile('图纸.jpg'), identity: { choice: 'share', name: reporterName } });
    const receipt = await reviewAndSend(reporter);

    // The reviewer finds it in the queue and opens it: decrypted text, the photo inline.
    const page = reviewer.page;
    await reviewer.goto(suite.app.url('/staff'));
    await reviewer.check('staff queue', { status: 200, screenshot: shots ? 'staff-queue' : undefined });
    const caseLink = page.getByRole('main').getByRole('link', { name: /^[A-Z0-9-]{6,}$/ }).first();
    const caseNumber = (await caseLink.textContent())!.trim();
    await reviewer.navigate(() => caseLink.click());
    await reviewer.check('case page', { status: 200, screenshot: shots ? 'staff-case' : undefined });
    expect(await page.locator('#report').textContent()).toContain(description);
    const photo = page.locator('#files img');
    expect(await photo.count()).toBe(1);
    expect(await photo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(320); // decrypted and served

    await reviewer.navigate(() => button(page, 'cases.triage.acknowledge').click());
    await reviewer.check('case acknowledged');
    expect(await page.getByRole('status').textContent()).toContain(zh('cases.done.acknowledged'));

    const question = `请问您看到的图纸上是否有单位名称？（${mode.name}）`;
    await page.getByLabel(zh('cases.thread.replyLabel'), { exact: true }).fill(question);
    await reviewer.navigate(() => button(page, 'cases.thread.send').click());
    await reviewer.check('case: message sent');
    expect(await page.locator('#thread').textContent()).toContain(question);

    await page.getByLabel(zh('cases.notes.label'), { exact: true }).fill('内部备注：与吉林某案可能有关。');
    await reviewer.navigate(() => button(page, 'cases.notes.submit').click());
    await reviewer.check('case: note added');

    // Identity: the reviewer asks, with a reason; a custodian approves; only then it opens.
    await page.getByLabel(zh('cases.identity.reasonLabel'), { exact: true }).fill('需要核实举报人身份以便国家安全机关联系。');
    await reviewer.navigate(() => button(page, 'cases.identity.request').click());
    await reviewer.check('case: identity requested');
    expect(await page.locator('#identity').textContent()).toContain(zh('cases.identity.pending'));

    await custodian.goto(suite.app.url('/staff/identity-requests'));
    await custodian.check('identity requests', { status: 200, screenshot: shots ? 'staff-identity-requests' : undefined });
    const request = custodian.page.locator('article').filter({ hasText: caseNumber });
    await request.getByRole('radio', { name: zh('custody.requests.approve') }).check();
    await request.getByLabel(zh('custody.requests.decisionReason'), { exact: true }).fill('理由充分，同意。');
    await custodian.navigate(() => button(request, 'custody.requests.submit').click());
    await custodian.check('identity request decided');

    // A custodian appointed now holds none of this report's keys until the first one hands them over.
    const later = await suite.session(mode);
    const laterName = `keeper-${mode.name}`;
    await enrolInBrowser(later, await operatorCreatesStaff(suite.app, { username: laterName, role: 'reviewer', custodian: true }), laterName);
    await later.goto(suite.app.url(`/staff/cases/${encodeURIComponent(caseNumber)}/identity`));
    await later.check('identity before hand-over', { status: 404 });
    await custodian.navigate(() => link(custodian.page.getByRole('main'), 'custody.requests.handoverLink').click());
    await custodian.check('custody hand-over', { status: 200, screenshot: shots ? 'staff-custody-handover' : undefined });
    await custodian.page.getByRole('radio', { name: new RegExp(`^${laterName} `) }).check();
    await custodian.navigate(() => button(custodian.page, 'custody.handover.submit').click());
    await custodian.check('custody handed over', { status: 200 });
    expect(await custodian.page.getByRole('status').textContent()).toMatch(/已移交：[1-9]\d* 个线索身份密钥/);
    await custodian.finish();
    await later.goto(suite.app.url(`/staff/cases/${encodeURIComponent(caseNumber)}/identity`));
    await later.check('identity after hand-over', { status: 200 });
    expect(await later.page.getByRole('main').textContent()).toContain(reporterName);
    await later.finish();

    await reviewer.goto(suite.app.url(`/staff/cases/${encodeURIComponent(caseNumber)}`));
    await reviewer.check('case page after approval');
    await reviewer.navigate(() => link(page.locator('#identity'), 'cases.identity.view').click());
    await reviewer.check('reporter identity', { status: 200 });
    expect(await page.getByRole('main').textContent()).toContain(reporterName);

    // Referral to the 12339 hotline, with the photo, then the printable sheet.
    await reviewer.goto(suite.app.url(`/staff/cases/${encodeURIComponent(caseNumber)}`));
    await reviewer.check('case page');
    await reviewer.navigate(() => link(page.locator('#referrals'), 'referral.case.new').click());
    await reviewer.check('new referral', { status: 200, screenshot: shots ? 'staff-referral-new' : undefined });
    await page.getByRole('radio', { name: zh('referral.channels.hotline_12339') }).check();
    await page.getByLabel(zh('referral.fields.referredAt'), { exact: true }).fill('2026-11-23T10:30');
    await field(page, 'referral.fields.reference').fill('12339-2026-0042');
    const summary = `寄往境外包裹内疑似涉密图纸，已扣留。（${mode.name}）`;
    await page.getByLabel(zh('referral.fields.summary'), { exact: true }).fill(summary);
    await page.getByRole('checkbox', { name: /图纸\.jpg/ }).check();
    await reviewer.navigate(() => button(page, 'referral.new.submit').click());
    await reviewer.check('case page after referral');
    expect(await page.locator('#referrals').textContent()).toContain(summary);

    // A receiving body has given the operator its public key: the sheet offers a bundle sealed to it.
    const bodyKeys = generateBoxKeyPair();
    const bodyName = `某市国家安全局（${mode.name}）`;
    await insertAuthority(suite.app.database.db, bodyName, bodyKeys.publicKey);
    await reviewer.navigate(() => link(page.locator('#referrals'), 'referral.case.sheet').first().click());
    await reviewer.check('referral sheet', { status: 200, screenshot: shots ? 'referral-sheet' : undefined });
    expect(await page.textContent('body')).toContain('12339');
    expect(await page.textContent('body')).toContain(summary);
    await page.emulateMedia({ media: 'print' });
    if (shots) await reviewer.screenshot('referral-sheet-print');
    await page.emulateMedia({ media: 'screen' });
    await page.getByLabel(zh('referral.bundle.label'), { exact: true }).selectOption({ label: bodyName });
    const [download] = await Promise.all([page.waitForEvent('download'), button(page, 'referral.bundle.submit').click()]);
    expect(download.suggestedFilename()).toMatch(/^referral-.*\.pgbundle$/);
    const sealed = readFileSync(await download.path());
    expect(sealed.includes(Buffer.from(summary))).toBe(false);
    const parts: Uint8Array[] = [];
    for await (const piece of openBundle(bodyKeys, (async function* () {
      yield new Uint8Array(sealed);
    })())) parts.push(piece);
    const plain = Buffer.concat(parts);
    expect(JSON.parse(plain.subarray(4, 4 + plain.readUInt32BE(0)).toString('utf8')).referral.summary).toBe(summary);
    await reviewer.finish();

    // The reporter comes back with the receipt and reads the question.
    await reporter.goto(suite.app.url('/followup'));
    await reporter.check('follow-up: sign-in');
    await followupLogin(reporter, receipt);
    expect(await reporter.page.locator('#thread').textContent()).toContain(question);
    await reporter.finish();
  });
});
