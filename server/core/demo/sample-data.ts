/**
 * The made-up content of a demo installation: companies and outlets, names, descriptions, messages,
 * notes and generated parcel photos. Deterministic where a test counts on it (see rng).
 */
import sharp from 'sharp';
import type { AppContext } from '../context.js';
import { newSymmetricKey } from '../crypto/index.js';
import type { SubmitReportInput } from '../reports/service.js';
import { stageUpload, type StagedFile } from '../reports/attachments.js';
import { CATEGORY_CODES, IMMEDIATE_DANGER_CODES } from '../intake/taxonomy.js';
import { NOTICED_HOW, PARCEL_DIRECTIONS, type ProvinceCode } from '../reports/model.js';

export const COMPANIES = [
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

export const MESSAGES = ['感谢您的举报，我们已开始核查。', '请问您还记得寄件人的大致外貌吗？', '我们已将情况转交相关部门，感谢配合。', '您提供的信息很有帮助，如有新情况请继续反馈。'];
export const NOTES = ['已与网点负责人电话核实，包裹仍在仓库扣留。', '与另一案件运单号相近，待进一步比对。', '监控录像已调取，等待网点发送。', '初步判断属实，建议移交。'];

export function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length]!;
}

/** A deterministic sequence, so two demos look alike and a test can reason about counts. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function person(n: number): string {
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

export async function stagedPhoto(ctx: AppContext, n: number): Promise<StagedFile | null> {
  const result = await stageUpload(ctx.database.db, once(await parcelPhoto(n)), {
    name: `包裹照片-${n}.png`,
    declaredType: 'image/png',
    maxBytes: 5_000_000,
    stagingKey: newSymmetricKey(),
    images: ctx.images,
  });
  return result.ok ? result.file : null;
}

const PROVINCES: readonly ProvinceCode[] = ['GD', 'GD', 'SH', 'BJ', 'ZJ', 'JS', 'SC', 'FJ', 'SD', 'HB', 'YN', 'XJ', 'HL', 'GX', 'CQ'];

export function tipInput(n: number, r: () => number, photo: StagedFile | null): SubmitReportInput {
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
