import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestReviewer, submitTestReport, type TestStaff } from '../helpers/reports.js';
import { CryptoError, fromUtf8, openJson, openRecord, openSealedKey, randomBytes, sealJson, sealRecord, utf8 } from '../../server/core/crypto/index.js';
import { sealRecordWithNonce } from '../../server/core/crypto/vectors.js';
import { appendMessage, listMessages } from '../../server/core/reports/messages.js';
import { payloadBinding } from '../../server/core/reports/payload-binding.js';
import { noteBinding } from '../../server/core/cases/note-binding.js';
import { insertNote, listNoteRows } from '../../server/core/cases/repository.js';

// A database writer who relabels who wrote something, or when and by which channel a report came
// in, must make the sealed content fail to open (record version 2 binds those columns).
let t: TestApp;
let reviewer: TestStaff;
let colleague: TestStaff;
let reportId: string;
let reportKey: Uint8Array;
let notesKey: Uint8Array;

async function keyOf(kind: 'report' | 'notes'): Promise<Uint8Array> {
  const grant = await t.database.db.selectFrom('report_key_grants').select('sealed_key')
    .where('report_id', '=', reportId).where('key_kind', '=', kind).where('recipient_id', '=', reviewer.id).executeTakeFirstOrThrow();
  return openSealedKey(new Uint8Array(grant.sealed_key), reviewer);
}

beforeAll(async () => {
  t = await createTestApp();
  reviewer = await createTestReviewer(t);
  colleague = await createTestReviewer(t);
  reportId = (await submitTestReport(t)).reportId;
  reportKey = await keyOf('report');
  notesKey = await keyOf('notes');
});
afterAll(async () => {
  await t.close();
});

describe('bound authorship', () => {
  it('a reporter message relabelled as staff-written no longer opens', async () => {
    const db = t.database.db;
    const id = await db.transaction().execute((trx) => appendMessage(trx, { reportId, authorKind: 'reporter', body: '快递柜里还有一个' }, reportKey));
    expect((await listMessages(db, reportId, reportKey)).find((m) => m.id === id)?.body).toBe('快递柜里还有一个');
    await db.updateTable('messages').set({ author_kind: 'staff', author_id: reviewer.id }).where('id', '=', id).execute();
    await expect(listMessages(db, reportId, reportKey)).rejects.toThrow(CryptoError);
    // Put back exactly, it opens again: the binding is to the row's columns, nothing else.
    await db.updateTable('messages').set({ author_kind: 'reporter', author_id: null }).where('id', '=', id).execute();
    expect((await listMessages(db, reportId, reportKey)).find((m) => m.id === id)?.body).toBe('快递柜里还有一个');
  });

  it('a staff message moved to another staff member no longer opens', async () => {
    const db = t.database.db;
    const id = await db.transaction().execute((trx) => appendMessage(trx, { reportId, authorKind: 'staff', authorId: reviewer.id, body: '请补充运单号' }, reportKey));
    await db.updateTable('messages').set({ author_id: colleague.id }).where('id', '=', id).execute();
    await expect(listMessages(db, reportId, reportKey)).rejects.toThrow(CryptoError);
    await db.deleteFrom('messages').where('id', '=', id).execute();
  });

  it('a note reassigned to a colleague no longer opens', async () => {
    const db = t.database.db;
    const id = randomUUID();
    await insertNote(db, { id, reportId, authorId: reviewer.id, bodySealed: sealRecord(notesKey, 'note', `${reportId}/${id}`, utf8('可能是同一寄件人'), noteBinding(reviewer.id)) });
    const open = async () => {
      const row = (await listNoteRows(db, reportId)).find((n) => n.id === id)!;
      return fromUtf8(openRecord(notesKey, 'note', `${reportId}/${id}`, row.body_sealed, noteBinding(row.author_id)));
    };
    expect(await open()).toBe('可能是同一寄件人');
    await db.updateTable('notes').set({ author_id: colleague.id }).where('id', '=', id).execute();
    await expect(open()).rejects.toThrow(CryptoError);
  });

  it("the payload is bound to the report's channel and creation time", async () => {
    const db = t.database.db;
    const read = async () => {
      const row = await db.selectFrom('reports').select(['channel', 'created_at', 'payload_sealed']).where('id', '=', reportId).executeTakeFirstOrThrow();
      return openJson<{ description: string }>(reportKey, 'payload', reportId, new Uint8Array(row.payload_sealed), payloadBinding(row));
    };
    const original = await db.selectFrom('reports').select(['created_at']).where('id', '=', reportId).executeTakeFirstOrThrow();
    expect((await read()).description).toBeTruthy();
    await db.updateTable('reports').set({ channel: 'employee' }).where('id', '=', reportId).execute();
    await expect(read()).rejects.toThrow(CryptoError);
    await db.updateTable('reports').set({ channel: 'public', created_at: new Date(original.created_at.getTime() - 86_400_000) }).where('id', '=', reportId).execute();
    await expect(read()).rejects.toThrow(CryptoError);
    await db.updateTable('reports').set({ created_at: original.created_at }).where('id', '=', reportId).execute();
    expect((await read()).description).toBeTruthy();
  });

  it('records sealed before authorship was bound (version 1) still open; a version byte changed does not', () => {
    const binding = payloadBinding({ channel: 'public', created_at: new Date() });
    const legacy = sealRecordWithNonce(reportKey, 'payload', reportId, utf8('{"description":"old"}'), randomBytes(24), { version: 1 });
    expect(openJson(reportKey, 'payload', reportId, legacy, binding)).toEqual({ description: 'old' });
    const current = sealJson(reportKey, 'payload', reportId, { description: 'new' }, binding);
    current[0] = 1; // the version is part of the AD, so a v2 record cannot be read as an unbound v1 one
    expect(() => openJson(reportKey, 'payload', reportId, current, binding)).toThrow(CryptoError);
  });
});
