/**
 * Hostile multipart bodies against the real server process, on every route that takes files:
 * bodies cut at each structural position, bad boundaries, oversized headers, too many parts,
 * clients that vanish or stall mid-body. After each one the process still answers /healthz and
 * no attachment row is left unfinished, nor any file the failed request staged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePostgres } from '../faults/support/gate.js';
import { MultipartBody, rawRequest, type RawOutcome, type Step } from './support/raw-http.js';
import { attachmentCounts, randomAddress, REPORT_FIELDS, startTarget, type FileRoute, type Target } from './support/target.js';

const enabled = requirePostgres('the hostile multipart suite');
const IDLE_SECONDS = 2;
let target: Target;

beforeAll(async () => {
  if (enabled) target = await startTarget(process.env.DATABASE_URL!, { UPLOAD_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS) });
});
afterAll(async () => {
  await target?.close();
});

type Prepared = { body: MultipartBody; headers: Record<string, string> };

/** A body that starts as the browser's would: the CSRF token first, then the form's fields. */
async function prepare(route: FileRoute): Promise<Prepared> {
  const session = await route.session();
  const body = new MultipartBody().field('_csrf', session.token);
  if (route.path === '/report') for (const [name, value] of Object.entries(REPORT_FIELDS)) body.field(name, value);
  body.field('note', '补充材料');
  const headers = { cookie: session.cookieHeader(), 'x-forwarded-for': randomAddress(), 'content-type': body.contentType() };
  return { body, headers };
}

async function send(route: FileRoute, headers: Record<string, string>, steps: Step[], declaredLength?: number): Promise<RawOutcome> {
  const length = declaredLength ?? steps.reduce((n, s) => n + (typeof s === 'string' || Buffer.isBuffer(s) ? Buffer.byteLength(s) : 0), 0);
  return rawRequest({ port: target.port, path: route.path, headers: { ...headers, 'content-length': String(length), connection: 'close' }, steps });
}

/** The process answers and, once the request has settled, nothing it started is left behind. */
async function expectSurvivedClean(before: { staged: number }): Promise<void> {
  const health = await fetch(`${target.server.baseUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
  expect(health.status).toBe(200);
  let counts = await attachmentCounts(target);
  for (let i = 0; i < 50 && (counts.incomplete > 0 || counts.staged > before.staged); i++) {
    await new Promise((r) => setTimeout(r, 100));
    counts = await attachmentCounts(target);
  }
  expect(counts).toEqual({ incomplete: 0, staged: before.staged });
}

const fileBytes = (n: number) => Buffer.from('举报材料 evidence line\n'.repeat(Math.ceil(n / 27)).slice(0, n));

/** Where a body can end: each returns the bytes actually sent (Content-Length says exactly that). */
const CUTS: Record<string, (b: MultipartBody) => Buffer> = {
  'in the preamble': () => Buffer.from('a preamble with no boundary at all'),
  'in a part header': (b) => Buffer.concat([b.open(), Buffer.from(`--${b.boundary}\r\nContent-Disposition: form-data; name="fi`)]),
  'between a file header and its bytes': (b) => Buffer.concat([b.open(), Buffer.from(`--${b.boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n`)]),
  'in a small file body': (b) => b.file('a.txt', fileBytes(300)).open().subarray(0, -10),
  'in a large file body': (b) => b.file('a.txt', fileBytes(400_000)).open().subarray(0, -1000),
  'before the closing boundary': (b) => b.file('a.txt', fileBytes(300)).open(),
  'inside the closing boundary': (b) => Buffer.concat([b.file('a.txt', fileBytes(300)).open(), Buffer.from(`--${b.boundary}`)]),
  'in a field after a file': (b) => Buffer.concat([b.file('a.txt', fileBytes(300)).open(), Buffer.from(`--${b.boundary}\r\nContent-Disposition: form-data; name="more"\r\n\r\nhalf`)]),
};

describe.skipIf(!enabled)('every file route survives bodies that end early or never end', () => {
  const routeNames = ['/report', '/followup/files', '/employee/report', '/employee/tips/:caseNumber/files'];

  it.each(routeNames)('%s: a complete body is accepted (the raw client itself is sound)', async (name) => {
    const route = target.routes[routeNames.indexOf(name)]!;
    const { body, headers } = await prepare(route);
    const before = await attachmentCounts(target);
    const outcome = await send(route, headers, [body.file('a.txt', fileBytes(300)).closed()]);
    // 422: a form the route's own validation refuses (the employee form wants a description).
    expect([200, 303, 422]).toContain(outcome.status);
    expect((await attachmentCounts(target)).incomplete).toBe(0);
    expect(before.incomplete).toBe(0);
  });

  for (const [where, cut] of Object.entries(CUTS)) {
    it.each(routeNames)(`%s: a body cut ${where} is a 400`, async (name) => {
      const route = target.routes[routeNames.indexOf(name)]!;
      const { body, headers } = await prepare(route);
      const before = await attachmentCounts(target);
      const outcome = await send(route, headers, [cut(body)]);
      expect(outcome.status).toBe(400);
      await expectSurvivedClean(before);
    });
  }

  it.each(routeNames)('%s: a client that vanishes inside its second file leaves nothing staged', async (name) => {
    const route = target.routes[routeNames.indexOf(name)]!;
    const { body, headers } = await prepare(route);
    const before = await attachmentCounts(target);
    const full = body.file('first.txt', fileBytes(200_000)).file('second.txt', fileBytes(2_000_000)).closed();
    const outcome = await send(route, headers, [full.subarray(0, 1_000_000), 'vanish'], full.byteLength);
    expect(outcome.status).toBeNull();
    await expectSurvivedClean(before);
  });
});

describe.skipIf(!enabled)('malformed, oversized and slow bodies on the report form', () => {
  const route = () => target.routes[0]!;

  async function expectStatus(status: number | null, build: (p: Prepared) => { headers?: Record<string, string>; steps: Step[]; declared?: number }) {
    const prepared = await prepare(route());
    const before = await attachmentCounts(target);
    const { headers = {}, steps, declared } = build(prepared);
    const outcome = await send(route(), { ...prepared.headers, ...headers }, steps, declared);
    expect(outcome.status).toBe(status);
    await expectSurvivedClean(before);
    return outcome;
  }

  it('a boundary in the header that the body never uses is a 400', async () => {
    await expectStatus(400, ({ body }) => ({ headers: { 'content-type': 'multipart/form-data; boundary=somethingelse' }, steps: [body.file('a.txt', fileBytes(300)).closed()] }));
  });

  it('a multipart type with no boundary, or an empty one, is a 400', async () => {
    await expectStatus(400, ({ body }) => ({ headers: { 'content-type': 'multipart/form-data' }, steps: [body.closed()] }));
    await expectStatus(400, ({ body }) => ({ headers: { 'content-type': 'multipart/form-data; boundary=' }, steps: [body.closed()] }));
  });

  it('a part header block over 16 KiB is a 400', async () => {
    await expectStatus(400, ({ body }) => ({
      steps: [body.raw(`--${body.boundary}\r\nContent-Disposition: form-data; name="files"; filename="${'a'.repeat(20_000)}.txt"\r\n\r\nx\r\n`).closed()],
    }));
  });

  it('an oversized request header line is refused by the HTTP parser (431)', async () => {
    await expectStatus(431, ({ body }) => ({ headers: { 'x-padding': 'p'.repeat(20_000) }, steps: [body.closed()] }));
  });

  it('a thousand text parts is a 400', async () => {
    await expectStatus(400, ({ body }) => {
      for (let i = 0; i < 1_000; i++) body.field(`f${i}`, 'x');
      return { steps: [body.closed()] };
    });
  });

  it('a hundred file parts are read to the end without a 5xx and stage at most the form limit', async () => {
    const { body, headers } = await prepare(route());
    for (let i = 0; i < 100; i++) body.file(`f${i}.txt`, fileBytes(100));
    const outcome = await send(route(), headers, [body.closed()]);
    expect(outcome.status).toBeLessThan(500);
    expect(outcome.status).not.toBeNull();
    expect((await attachmentCounts(target)).incomplete).toBe(0);
  });

  it('a declared length beyond the largest possible form is a 413 before the body is read', async () => {
    await expectStatus(413, ({ body }) => ({ steps: [body.closed()], declared: 2 * 1024 ** 3 }));
  });

  it('a slow client that keeps sending is served', async () => {
    const { body, headers } = await prepare(route());
    const full = body.file('slow.txt', fileBytes(50_000)).field('action', 'review').closed();
    const steps: Step[] = [];
    for (let at = 0; at < full.byteLength; at += 8_000) steps.push(full.subarray(at, at + 8_000), { pauseMs: (IDLE_SECONDS * 1000) / 3 });
    const outcome = await send(route(), headers, steps);
    expect(outcome.status).toBe(200);
    expect(outcome.text).toContain('slow.txt');
  });

  it('a client that stalls mid-file is cut off after the idle timeout, its file removed', async () => {
    const outcome = await expectStatus(null, ({ body }) => {
      const full = body.file('stall.txt', fileBytes(300_000)).closed();
      return { steps: [full.subarray(0, 200_000), { pauseMs: IDLE_SECONDS * 1000 * 3 }, full.subarray(200_000)], declared: full.byteLength };
    });
    expect(outcome.closedByServer).toBe(true);
  });

  it('a cut chunked body is a 400 or a closed connection', async () => {
    const prepared = await prepare(route());
    const before = await attachmentCounts(target);
    const body = prepared.body.file('a.txt', fileBytes(1_000)).closed();
    const outcome = await rawRequest({
      port: target.port,
      path: route().path,
      headers: { ...prepared.headers, 'transfer-encoding': 'chunked', connection: 'close' },
      steps: [`${(body.byteLength - 100).toString(16)}\r\n`, body.subarray(0, body.byteLength - 100), '\r\nzz\r\n'],
    });
    expect([400, null]).toContain(outcome.status);
    await expectSurvivedClean(before);
  });
});
