import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import {
  employeeTip,
  enrolStaff,
  followupActions,
  followupLogin,
  joinEmployee,
  loginStaff,
  queueCases,
  submitPublicReport,
  workCase,
  type Setup,
} from '../../faults/support/flows.js';
import { WebSession } from '../../faults/support/web-session.js';
import type { Needle } from './scan.js';

/**
 * Canaries: unique strings typed into every field of every flow. Anything the product must never
 * store or log in clear — receipts, passwords, TOTP secrets, recovery keys — is added as it appears.
 */
export class Canaries {
  readonly tag = randomBytes(5).toString('hex').toUpperCase();
  readonly needles: Needle[] = [];

  /** A new canary for `label`, registered as a needle. */
  make(label: string): string {
    const value = `LEAK${label}${this.tag}`;
    this.needles.push({ label, value });
    return value;
  }

  /** A value the flow produced (a receipt, a secret) that must be found nowhere. */
  add(label: string, value: string): string {
    if (value) this.needles.push({ label, value });
    return value;
  }

  private phones = 0;

  /** A mobile number unique to this run, for fields that must look like one. */
  phone(label: string): string {
    this.phones += 1;
    const digits = String((parseInt(this.tag.slice(0, 6), 16) * 10 + this.phones) % 1e8).padStart(8, '0');
    return this.add(label, `139${digits}`);
  }
}

/** A JPEG whose EXIF carries a canary (the server must strip it) and a text file with one inside. */
async function canaryFiles(c: Canaries) {
  const jpeg = await sharp({ create: { width: 48, height: 32, channels: 3, background: '#884422' } })
    .jpeg()
    .withExif({ IFD0: { ImageDescription: c.make('EXIFDESC'), Make: c.make('EXIFMAKE') } })
    .toBuffer();
  return {
    photo: { name: `${c.make('PHOTONAME')}.jpg`, type: 'image/jpeg', body: jpeg },
    text: { name: `${c.make('TEXTNAME')}.txt`, type: 'text/plain', body: Buffer.from(`notes ${c.make('TEXTBODY')} 备注\n`) },
  };
}

function reportFields(c: Canaries, prefix: string) {
  return {
    categories: ['spy_equipment', 'identity_refused'],
    description: `${c.make(`${prefix}DESC`)} ${c.make(`${prefix}描述`)}`,
    immediate_danger: 'no',
    waybill_numbers: `${c.make(`${prefix}WAYBILL1`)}\n${c.make(`${prefix}WAYBILL2`)}`,
    courier_company: c.make(`${prefix}COURIER`),
    outlet: c.make(`${prefix}OUTLET`),
    province: 'GD',
    direction: 'outbound_international',
    noticed_how: 'acceptance_inspection',
    declared_contents: c.make(`${prefix}DECLARED`),
    suspected_contents: c.make(`${prefix}SUSPECTED`),
    parcel_location: 'held',
    sender_name: c.make(`${prefix}SENDERNAME`),
    sender_phone: c.phone(`${prefix}SENDERPHONE`),
    sender_address: c.make(`${prefix}SENDERADDR`),
    recipient_name: c.make(`${prefix}RECIPNAME`),
    recipient_phone: c.phone(`${prefix}RECIPPHONE`),
    recipient_address: c.make(`${prefix}RECIPADDR`),
    destination: c.make(`${prefix}DEST`),
    observed_place: c.make(`${prefix}PLACE`),
  };
}

export type WalkResult = { receipts: string[]; cases: string[] };

/**
 * The whole product with canaries: three staff enrol, an employee joins and files a tip, two public
 * reports (one with identity and files, one anonymous that adds identity later), follow-up replies
 * and files, and every staff action on every case — messages, questions, notes, reward notes,
 * identity request and decision, referral with summary and update, downloads.
 */
export async function walkProduct(sites: { baseUrl: string; staffBaseUrl: string }, setup: Setup, names: { admin: string; reviewer: string; custodian: string }, c: Canaries): Promise<WalkResult> {
  const files = await canaryFiles(c);
  const base = sites.baseUrl;
  const staffBase = sites.staffBaseUrl;
  const admin = await enrolStaff(staffBase, setup.adminLink, names.admin, c.make('ADMINPASSWORD'));
  const reviewer = await enrolStaff(staffBase, setup.reviewerLink, names.reviewer, c.make('REVIEWERPASSWORD'));
  const custodian = await enrolStaff(staffBase, setup.custodianLink, names.custodian, c.make('CUSTODIANPASSWORD'));
  for (const a of [admin, reviewer, custodian]) {
    c.add(`TOTPSECRET ${a.username}`, a.totpSecret);
    c.add(`RECOVERYKEY ${a.username}`, a.recoveryKey);
    c.add(`RECOVERYKEYRAW ${a.username}`, a.recoveryKey.replace(/[^A-Za-z0-9]/g, ''));
  }

  const employee = await joinEmployee(base, {
    inviteCode: c.add('INVITECODE', setup.inviteCode),
    name: c.make('EMPLOYEENAME'),
    employeeNumber: c.make('EMPLOYEENUMBER'),
    phone: c.phone('EMPLOYEEPHONE'),
    password: c.make('EMPLOYEEPASSWORD'),
  });
  await employeeTip(employee, { fields: reportFields(c, 'EMP'), files: [files.text], reply: c.make('EMPREPLY') });

  // An abandoned attempt: a file staged on a rejected form, never sent.
  const abandoned = new WebSession(base);
  await abandoned.get('/report');
  await abandoned.postMultipart('/report', { ...reportFields(c, 'ABANDON'), description: '', action: 'review' }, [
    { name: `${c.make('STAGEDNAME')}.txt`, type: 'text/plain', body: Buffer.from(c.make('STAGEDBODY')) },
  ]);

  const idNumber = c.add('IDNUMBER', `5101${String(parseInt(c.tag, 16)).padStart(13, '0').slice(-13)}`);
  const identity = { identity_choice: 'share_with_authorities', identity_name: c.make('IDNAME'), identity_phone: c.phone('IDPHONE'), identity_id_number: `${idNumber}X`, identity_contact: c.make('IDCONTACT') };
  const first = c.add('RECEIPT1', await submitPublicReport(base, { fields: { ...reportFields(c, 'PUB'), ...identity }, files: [files.photo, files.text] }, { 'user-agent': c.make('USERAGENT') }));
  const second = c.add('RECEIPT2', await submitPublicReport(base, { fields: { categories: 'other', description: c.make('ANONDESC'), identity_choice: 'anonymous' } }));
  for (const r of [first, second]) c.add('RECEIPTSPACED', r.replace(/(\d{4})(?=\d)/g, '$1 '));

  const followup = await followupLogin(base, first);
  await followupActions(followup, { reply: c.make('REPLY'), note: c.make('FILENOTE'), file: { name: `${c.make('LATEFILENAME')}.txt`, type: 'text/plain', body: Buffer.from(c.make('LATEFILEBODY')) } });
  const later = await followupLogin(base, second);
  await followupActions(later, {
    reply: c.make('REPLY2'),
    note: c.make('FILENOTE2'),
    file: { name: `${c.make('LATEFILENAME2')}.txt`, type: 'text/plain', body: Buffer.from(c.make('LATEFILEBODY2')) },
    identity: { identity_name: c.make('LATEIDNAME'), identity_contact: c.make('LATEIDCONTACT') },
  });

  // Canaries in what a request carries besides its form: query strings, paths, headers.
  const noisy = new WebSession(base, { 'user-agent': c.make('UA2'), referer: `http://example.invalid/${c.make('REFERER')}` });
  await noisy.get(`/?q=${c.make('QUERY')}`);
  await noisy.get(`/followup/${c.make('PATH')}`);
  await noisy.get(`/lang/en?next=/${c.make('NEXT')}`);

  const reviewerSession = await loginStaff(staffBase, reviewer);
  const custodianSession = await loginStaff(staffBase, custodian);
  const cases = await queueCases(reviewerSession);
  let n = 0;
  for (const caseNumber of cases) {
    n += 1;
    await workCase(reviewerSession, custodianSession, caseNumber, (label) => c.make(`${label}${n}`));
  }
  await rewardAndProtection(base, first, c);
  return { receipts: [first, second], cases };
}

/**
 * Every case is reward-eligible by now (workCase marks it): the first reporter makes a claim code
 * (which must exist nowhere but on their screen), gives identity for the reward, and asks for
 * protection, each with canaries.
 */
async function rewardAndProtection(base: string, receipt: string, c: Canaries): Promise<void> {
  const s = await followupLogin(base, receipt);
  const made = await s.post('/followup/reward/code', {});
  if (made.status !== 200) throw new Error(`claim code: ${made.status}`);
  const code = /([0-9A-HJKMNP-TV-Z]{5}(?:-[0-9A-HJKMNP-TV-Z]{5}){3})/.exec(made.text)?.[1];
  if (!code) throw new Error('claim code not shown');
  c.add('CLAIMCODE', code);
  c.add('CLAIMCODERAW', code.replace(/-/g, ''));
  await s.get('/followup/reward/identity');
  const given = await s.post('/followup/reward/identity', { consent: 'yes', identity_name: c.make('REWARDNAME'), identity_phone: c.phone('REWARDPHONE'), identity_contact: c.make('REWARDCONTACT') });
  if (given.status !== 303) throw new Error(`identity for the reward: ${given.status}`);
  await s.get('/followup');
  const asked = await s.post('/followup/protection', { confirm: 'yes', message: c.make('PROTECTION') });
  if (asked.status !== 303) throw new Error(`protection request: ${asked.status}`);
}
