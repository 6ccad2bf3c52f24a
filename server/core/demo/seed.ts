import sharp from 'sharp';
import { Secret, TOTP } from 'otpauth';
import type { AppContext } from '../context.js';
import { newSymmetricKey, randomBytes } from '../crypto/index.js';
import { createStaffAccount } from '../accounts/service.js';
import { chooseEnrolmentPassword, confirmRecoveryKeyStored, confirmTotpEnrolment, loadEnrolment, revealRecoveryKey } from '../accounts/enrolment.js';
import { openTotpSecret, unlockStaff } from '../accounts/staff-keys.js';
import { findStaffById } from '../accounts/repository.js';
import type { StaffPrincipal } from '../accounts/auth.js';
import { destroySession, loadSession } from '../sessions/store.js';
import { createInvite, createOrganisation, createOutlet } from '../organisations/service.js';
import { joinEmployee } from '../employees/service.js';
import { normaliseInviteCode } from '../organisations/invite-code.js';
import { findOwnTips, newTipKeys, tipSecretOf } from '../employees/tip-index.js';
import { submitReport, type SubmitReportInput } from '../reports/service.js';
import { stageUpload, type StagedFile } from '../reports/attachments.js';
import { CATEGORY_CODES, IMMEDIATE_DANGER_CODES } from '../intake/taxonomy.js';
import { NOTICED_HOW, PARCEL_DIRECTIONS, type ProvinceCode } from '../reports/model.js';
import { acknowledgeCase, addNote, changeStatus, requestInformation, sendMessage, setSeverity } from '../cases/triage.js';
import { createReferral } from '../referral/service.js';
import { requestIdentityAccess } from '../custody/service.js';
import { REFERRAL_CHANNELS } from '../referral/schema.js';
import { REPORT_OUTCOMES, SEVERITIES } from '../reports/lifecycle.js';

/**
 * `npm run demo`: a portal filled with realistic (invented) zh-CN data, made through the real
 * domain services, so every report is sealed, granted, indexed and audited exactly as in
 * production. Never run against an installation with real data: seedDemo refuses unless the
 * database is empty or already marked as a demo.
 */

export const DEMO_MARKER_KEY = 'demo.installation';

export class NotADemoDatabaseError extends Error {
  override name = 'NotADemoDatabaseError';
  constructor() {
    super('this database holds data that is not from the demo (staff accounts or reports without the demo marker); the demo refuses to touch it. Point DEMO_DATA_DIR at an empty directory.');
  }
}

export type DemoAccount = { readonly role: string; readonly username: string; readonly password: string; readonly totp: string };

export type DemoResult = { readonly accounts: DemoAccount[]; readonly tips: number; readonly alreadySeeded: boolean };

/** The line printed for each demo account. */
export function demoAccountLine(a: DemoAccount): string {
  return `demo ${a.role}: username=${a.username} password=${a.password} totp=${a.totp}`;
}

/** True when the database is marked as a demo; throws NotADemoDatabaseError when it holds other data. */
export async function checkDemoDatabase(ctx: AppContext): Promise<{ seeded: boolean; accounts: DemoAccount[] }> {
  const db = ctx.database.db;
  const marker = await db.selectFrom('settings').select('value').where('key', '=', DEMO_MARKER_KEY).executeTakeFirst();
  if (marker) {
    const value = marker.value as { accounts?: DemoAccount[] };
    return { seeded: true, accounts: value.accounts ?? [] };
  }
  const staff = await db.selectFrom('staff').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const reports = await db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  if (Number(staff.n) > 0 || Number(reports.n) > 0) throw new NotADemoDatabaseError();
  return { seeded: false, accounts: [] };
}

// ------------------------------------------------------------------------------------ sample data

const COMPANIES = [
  { name: '顺丰速运（演示）', outlets: [['天河营业部', 'GD', '广州'], ['福田营业部', 'GD', '深圳'], ['浦东营业部', 'SH', '上海'], ['朝阳营业部', 'BJ', '北京']] },
  { name: '中通快递（演示）', outlets: [['萧山网点', 'ZJ', '杭州'], ['江宁网点', 'JS', '南京'], ['武侯网点', 'SC', '成都']] },
] as const;

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '磊', '强', '洋', '艳', '勇', '军', '杰', '涛', '超', '明', '霞'];

const DESCRIPTIONS: Record<string, string[]> = {
  state_secrets: ['寄件人要求将一批标注“内部资料”的文件寄往境外，拒绝开箱验视。', '包裹内发现盖有“机密”字样的图纸复印件，申报品名为“宣传册”。'],
  spy_equipment: ['收寄时发现包裹内有伪装成充电宝的针孔摄像设备，申报品名为“数码配件”。', 'X 光机显示包裹内有多个微型录音设备，外包装写“儿童玩具”。'],
  illegal_publications: ['一批印刷品申报为“画册”，开箱发现大量来源不明的出版物。'],
  strategic_minerals: ['多个小包裹申报为“石头样品”，重量异常，寄往境外同一地址。', '寄件人每周寄出标为“土特产”的矿石样品，目的地为境外。'],
  biological_samples: ['包裹内为冷藏血液样本，申报为“试剂”，无任何许可文件。', '寄件人寄出大量植物种子，申报为“工艺品”。'],
  invasive_species: ['包裹内有活体甲虫，装在透气盒中，申报为“文具”。'],
  recruitment: ['寄件人多次询问军事管理区附近的派送路线，并要求拍照。'],
  firearms: ['X 光下发现疑似枪支部件，申报为“汽车配件”。', '包裹内有仿真枪及弹夹，寄件人神色慌张。'],
  explosives: ['包裹渗出刺鼻液体，外包装写“清洁剂”，伴有电线。', '寄件人要求加急寄送一批“烟花样品”，无任何资质证明。'],
  controlled_implements: ['开箱发现多把管制刀具，申报为“厨具”。'],
  hazardous_chemicals: ['包裹散发强烈化学气味，瓶身无标签，申报为“饮料”。', '多桶无标识液体，寄件人称是“香水原料”。'],
  drugs: ['包裹内发现大量白色粉末，分装在茶叶袋中。', '申报为“保健品”的药片，无包装说明，数量巨大。'],
  wildlife: ['包裹内有疑似穿山甲鳞片，申报为“中药材”。', '活体鸟类被装在纸箱中寄出，申报为“服装”。'],
  counterfeit_currency: ['包裹内夹带成捆纸币，手感异常，疑似假币。'],
  counterfeit_goods: ['一批名牌箱包，价格明显偏低，疑似假冒商品。'],
  tobacco: ['大量香烟无税标，申报为“食品”，寄往多个地址。'],
  identity_refused: ['寄件人拒绝出示身份证件，坚持使用他人身份信息寄件。'],
  inspection_refused: ['寄件人拒绝开箱验视，并试图多给运费了事。'],
  suspicious_pattern: ['同一寄件人一周内以不同名字寄出二十余件相同包裹。', '多人轮流前来寄送相同重量的小包裹，收件地址相同。'],
  other: ['包裹外包装有可疑液体渗出，但无法判断是何物品。'],
};

const MESSAGES = ['感谢您的举报，我们已开始核查。', '请问您还记得寄件人的大致外貌吗？', '我们已将情况转交相关部门，感谢配合。', '您提供的信息很有帮助，如有新情况请继续反馈。'];
const NOTES = ['已与网点负责人电话核实，包裹仍在仓库扣留。', '与另一案件运单号相近，待进一步比对。', '监控录像已调取，等待网点发送。', '初步判断属实，建议移交。'];

function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length]!;
}

/** A deterministic sequence, so two demos look alike and a test can reason about counts. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function person(n: number): string {
  return `${pick(SURNAMES, n)}${pick(GIVEN, n * 7 + 3)}${n % 3 === 0 ? pick(GIVEN, n * 5 + 1) : ''}`;
}

function waybill(prefix: string, r: () => number): string {
  return `${prefix}${String(Math.floor(r() * 1e12)).padStart(12, '0')}`;
}

/** A simple generated photo: a parcel with tape and a label, in a colour of its own. */
async function parcelPhoto(n: number): Promise<Uint8Array> {
  const hue = (n * 47) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="360">
    <rect width="480" height="360" fill="hsl(${hue},25%,85%)"/>
    <polygon points="90,120 240,70 390,120 390,290 240,340 90,290" fill="#b98a4e" stroke="#7a5a2e" stroke-width="4"/>
    <polygon points="90,120 240,170 390,120 240,70" fill="#d1a464"/>
    <line x1="240" y1="170" x2="240" y2="340" stroke="#7a5a2e" stroke-width="3"/>
    <rect x="225" y="70" width="30" height="270" fill="hsl(${hue},60%,55%)" opacity="0.8"/>
    <rect x="110" y="190" width="100" height="60" fill="#fff" stroke="#333"/>
    <line x1="120" y1="205" x2="200" y2="205" stroke="#333" stroke-width="3"/>
    <line x1="120" y1="220" x2="180" y2="220" stroke="#333" stroke-width="3"/>
    <line x1="120" y1="235" x2="195" y2="235" stroke="#333" stroke-width="3"/>
  </svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

async function stagedPhoto(ctx: AppContext, n: number): Promise<StagedFile | null> {
  const result = await stageUpload(ctx.database.db, once(await parcelPhoto(n)), {
    name: `包裹照片-${n}.png`,
    declaredType: 'image/png',
    maxBytes: 5_000_000,
    stagingKey: newSymmetricKey(),
    images: ctx.images,
  });
  return result.ok ? result.file : null;
}

// --------------------------------------------------------------------------------------- accounts

type DemoStaff = DemoAccount & { principal: StaffPrincipal };

function demoPassword(): string {
  return `demo-${Buffer.from(randomBytes(9)).toString('base64url')}`;
}

/** A staff account enrolled through the real enrolment steps (password, recovery key, TOTP). */
async function enrolDemoStaff(ctx: AppContext, username: string, role: 'admin' | 'reviewer', isCustodian: boolean, label: string): Promise<DemoStaff> {
  const deps = { db: ctx.database.db, kdf: ctx.kdf, config: ctx.config };
  const password = demoPassword();
  const link = await createStaffAccount(deps, { username, role, isCustodian }, { kind: 'cli' });
  if (link === 'taken') throw new Error(`demo account ${username} exists`);
  const cookie = await chooseEnrolmentPassword(deps, link.url.split('/').pop()!, password);
  if (!cookie) throw new Error('demo enrolment refused');
  const atRecovery = (await loadEnrolment(deps, cookie))!;
  revealRecoveryKey(atRecovery);
  await confirmRecoveryKeyStored(deps, atRecovery);
  const atTotp = (await loadEnrolment(deps, cookie))!;
  const secret = new Secret({ buffer: Uint8Array.from(openTotpSecret(atTotp.row, atTotp.keys)!).buffer });
  // A step in the past: the first real sign-in (now) is then never refused as a replay.
  const code = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret }).generate({ timestamp: Date.now() - 30_000 });
  const session = await confirmTotpEnrolment(deps, atTotp, cookie, code);
  if (!session) throw new Error('demo TOTP confirmation refused');
  await destroySession(deps.db, session);
  const unlocked = await unlockStaff(ctx.kdf, await findStaffById(deps.db, atTotp.row.id), password);
  if (!unlocked) throw new Error('demo account does not unlock');
  const principal: StaffPrincipal = { id: atTotp.row.id, username, role, isCustodian, publicKey: unlocked.keys.publicKey, privateKey: unlocked.keys.privateKey };
  return { role: label, username, password, totp: secret.base32, principal };
}

type DemoEmployee = { id: string; outletId: string; privateKey: Uint8Array; company: string; outlet: string };

async function demoOrganisations(ctx: AppContext, employeesPerOutlet: number): Promise<DemoEmployee[]> {
  const db = ctx.database.db;
  const employees: DemoEmployee[] = [];
  let n = 0;
  for (const company of COMPANIES) {
    const org = await createOrganisation(db, { kind: 'cli' }, company.name);
    for (const [name, province, city] of company.outlets) {
      const outlet = await createOutlet(db, { kind: 'cli' }, { organisationId: org.id, name, province, city });
      const invite = await createInvite(db, { kind: 'cli' }, { outletId: outlet.id, days: 30, maxUses: 50 });
      for (let i = 0; i < employeesPerOutlet; i++) {
        n += 1;
        const phone = `1390000${String(n).padStart(4, '0')}`;
        const joined = await joinEmployee(
          ctx,
          { inviteCode: normaliseInviteCode(invite.code)!, name: person(n + 100), employeeNumber: `E${String(n).padStart(5, '0')}`, phone, password: `parcel-demo-${n}` },
          { address: `demo-${n}`, network: `demo-${n}` },
        );
        const session = await loadSession(db, 'employee', joined.cookie);
        await destroySession(db, joined.cookie);
        employees.push({ id: joined.employeeId, outletId: outlet.id, privateKey: session!.privateKey!, company: company.name, outlet: `${city} ${name}` });
      }
    }
  }
  return employees;
}

// ----------------------------------------------------------------------------------------- tips

const PROVINCES: readonly ProvinceCode[] = ['GD', 'GD', 'SH', 'BJ', 'ZJ', 'JS', 'SC', 'FJ', 'SD', 'HB', 'YN', 'XJ', 'HL', 'GX', 'CQ'];

function tipInput(n: number, r: () => number, photo: StagedFile | null): SubmitReportInput {
  const category = pick(CATEGORY_CODES, Math.floor(r() * 1000));
  const extra = r() < 0.2 ? [pick(CATEGORY_CODES, n + 5)] : [];
  const categories = [...new Set([category, ...extra])];
  const withIdentity = r() < 0.3;
  return {
    reporter: { kind: 'anonymous' },
    categories,
    description: `${pick(DESCRIPTIONS[category] ?? DESCRIPTIONS.other!, n)}（演示数据 #${n}）`,
    immediateDanger: categories.some((c) => IMMEDIATE_DANGER_CODES.includes(c)) && r() < 0.5,
    parcel: {
      waybillNumbers: r() < 0.8 ? [waybill(pick(['SF', 'ZTO', 'YT', 'JD'], n), r)] : [],
      courierCompany: pick(['顺丰速运', '中通快递', '圆通速递', '京东物流'], n),
      direction: pick(PARCEL_DIRECTIONS, Math.floor(r() * 10)),
      noticedHow: pick(NOTICED_HOW, Math.floor(r() * 10)),
      declaredContents: pick(['数码配件', '服装', '食品', '文件', '工艺品', '汽车配件'], n),
    },
    province: pick(PROVINCES, Math.floor(r() * 100)),
    identity: withIdentity ? { name: person(n), phone: `138${String(10_000_000 + n).slice(-8)}`, consent: r() < 0.5 ? 'share_with_authorities' : 'confidential' } : null,
    attachments: photo ? [photo] : [],
  };
}

async function employeeTip(ctx: AppContext, employee: DemoEmployee, input: SubmitReportInput) {
  const secret = tipSecretOf(employee.privateKey);
  try {
    const { nextOrdinal } = await findOwnTips(ctx.database.db, secret);
    const { tag, pair } = newTipKeys(secret, nextOrdinal);
    pair.privateKey.fill(0);
    return await submitReport(ctx, null, { ...input, reporter: { kind: 'employee', publicKey: pair.publicKey, tipTag: tag } });
  } finally {
    secret.fill(0);
  }
}

/** Moves one case through part of its life, by a reviewer, through the case services. */
async function workCase(ctx: AppContext, reviewer: StaffPrincipal, caseNumber: string, n: number, r: () => number, hasIdentity: boolean, consent: string | null): Promise<void> {
  const stage = r();
  if (stage < 0.3) return; // stays new
  await acknowledgeCase(ctx, reviewer, caseNumber);
  if (r() < 0.5) await setSeverity(ctx, reviewer, caseNumber, pick(SEVERITIES, n));
  if (r() < 0.6) await addNote(ctx, reviewer, caseNumber, pick(NOTES, n));
  if (stage < 0.45) return;
  await changeStatus(ctx, reviewer, caseNumber, { to: 'in_review' });
  if (r() < 0.5) await sendMessage(ctx, reviewer, caseNumber, pick(MESSAGES, n));
  if (hasIdentity && r() < 0.5) await requestIdentityAccess(ctx, reviewer, caseNumber, '需要联系举报人核实包裹扣留地点。');
  if (stage < 0.6) return;
  if (stage < 0.7) {
    await requestInformation(ctx, reviewer, caseNumber, '请问包裹目前是否仍在网点？能否提供面单照片？');
    return;
  }
  if (stage < 0.85) {
    await createReferral(ctx, reviewer, caseNumber, {
      channel: pick(REFERRAL_CHANNELS, n),
      referredAt: new Date(),
      reference: `演示-${String(n).padStart(5, '0')}`,
      desk: pick(['国家安全机关受理窗口', '市公安局治安支队', '12339 受理中心'], n),
      summary: `举报线索摘要（演示）：${caseNumber}，已核实包裹信息，建议依法处理。`,
      attachments: [],
      identityShared: hasIdentity && consent === 'share_with_authorities' && r() < 0.5,
    });
    return;
  }
  await changeStatus(ctx, reviewer, caseNumber, { to: 'closed', outcome: pick(REPORT_OUTCOMES.filter((o) => o !== 'referred_to_authority' && o !== 'duplicate'), n) });
}

export type SeedOptions = { readonly tips: number; readonly employeesPerOutlet?: number; readonly photoEvery?: number; readonly onProgress?: (done: number) => void };

/**
 * Fills an empty database with the demo. Returns the demo accounts (their passwords exist only in
 * this result and in the demo marker, which is fine for invented accounts and never done for real ones).
 */
export async function seedDemo(ctx: AppContext, opts: SeedOptions): Promise<DemoResult> {
  const state = await checkDemoDatabase(ctx);
  if (state.seeded) return { accounts: state.accounts, tips: 0, alreadySeeded: true };
  const db = ctx.database.db;
  // Claimed first: a half-finished seed is still recognised as a demo, never as real data.
  await db.insertInto('settings').values({ key: DEMO_MARKER_KEY, value: JSON.stringify({ accounts: [] }), updated_at: new Date(), updated_by: null }).execute();

  const admin = await enrolDemoStaff(ctx, 'demo-admin', 'admin', false, 'admin');
  const reviewer = await enrolDemoStaff(ctx, 'demo-reviewer', 'reviewer', false, 'reviewer');
  const second = await enrolDemoStaff(ctx, 'demo-reviewer2', 'reviewer', false, 'reviewer');
  const custodian = await enrolDemoStaff(ctx, 'demo-custodian', 'reviewer', true, 'custodian');
  const accounts = [admin, reviewer, second, custodian].map(({ role, username, password, totp }) => ({ role, username, password, totp }));
  await db.updateTable('settings').set({ value: JSON.stringify({ accounts }) }).where('key', '=', DEMO_MARKER_KEY).execute();
  await db
    .insertInto('settings')
    .values({ key: 'organisation.name', value: JSON.stringify('寄递安全联合举报中心（演示）'), updated_at: new Date(), updated_by: null })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();

  const employees = await demoOrganisations(ctx, opts.employeesPerOutlet ?? 3);
  const r = rng(20261202);
  const photoEvery = opts.photoEvery ?? 12;
  const reviewers = [reviewer.principal, second.principal];
  for (let n = 1; n <= opts.tips; n++) {
    const photo = n % photoEvery === 0 ? await stagedPhoto(ctx, n) : null;
    const input = tipInput(n, r, photo);
    const byEmployee = n % 4 === 0 && employees.length > 0;
    const submitted = byEmployee ? await employeeTip(ctx, pick(employees, n), { ...input, identity: null }) : await submitReport(ctx, null, input);
    await workCase(ctx, pick(reviewers, n), submitted.caseNumber, n, r, !byEmployee && input.identity !== null, input.identity?.consent ?? null);
    opts.onProgress?.(n);
  }
  for (const e of employees) e.privateKey.fill(0);
  return { accounts, tips: opts.tips, alreadySeeded: false };
}
