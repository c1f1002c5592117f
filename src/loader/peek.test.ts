import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLocalStore, createRecordStore, DB_NAME, parseRecord, RECORD_VERSION, type TokenRecord } from '../auth/index.ts';
import { hasOpenConversation } from './peek.ts';

const tenant = 'liveperson:12345678:guestchat-unauth';
const T0 = Date.UTC(2026, 0, 1);

const record: TokenRecord = {
  v: RECORD_VERSION,
  adapter: 'liveperson',
  tenant,
  identity: { token: 'external', subject: 'subject', issuedAt: T0, expiresAt: T0 + 600_000, windowEndsAt: T0 + 730 * 3_600_000 },
  access: { token: 'internal', subject: 'subject', issuedAt: T0, expiresAt: T0 + 3_600_000 },
  conversation: { id: 'conversation-1' },
};

beforeEach(
  () =>
    new Promise<void>((resolve) => {
      const request = indexedDB.deleteDatabase(DB_NAME);
      request.onsuccess = request.onerror = () => resolve();
    }),
);

describe('hasOpenConversation() (the loader wakes the app before intent only for this)', () => {
  it('never creates the database', async () => {
    expect(await hasOpenConversation(tenant)).toBe(false);
    expect((await indexedDB.databases()).map((d) => d.name)).not.toContain(DB_NAME);
  });

  it('is true for a record the app can read that holds a conversation, as the app stores it', async () => {
    await createRecordStore().save(record);
    expect(parseRecord(record, tenant)).toEqual(record);
    expect(await hasOpenConversation(tenant)).toBe(true);
  });

  it('is false for a record without a conversation, of another tenant, another version or corrupted', async () => {
    const local = createLocalStore();
    const { conversation: _, ...withoutConversation } = record;
    for (const value of [
      withoutConversation,
      { ...record, tenant: 'liveperson:1:other' },
      { ...record, v: RECORD_VERSION - 1 },
      { ...record, v: RECORD_VERSION + 1 },
      { ...record, identity: 'garbage' },
      { ...record, identity: { ...record.identity, token: 42 } },
      '{"not":"a record"',
      null,
    ]) {
      await local.write(tenant, value);
      expect(await hasOpenConversation(tenant), JSON.stringify(value)).toBe(false);
    }
  });

  it('is true for undelivered messages in the outbox, false for an outbox of junk', async () => {
    const local = createLocalStore();
    await local.write(`${tenant}#outbox`, [null, 7, { id: 'old-shape', body: 'x' }]);
    expect(await hasOpenConversation(tenant)).toBe(false);
    await local.write(`${tenant}#outbox`, [{ clientId: 'c1', text: 'hello', createdAt: T0, attempts: 0 }]);
    expect(await hasOpenConversation(tenant)).toBe(true);
  });
});
