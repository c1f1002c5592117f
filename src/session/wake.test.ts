// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { memoryStore } from './test-helpers.ts';
import { markingWake, wakeKey, wakeOnLoad } from './wake.ts';

const tenant = 'liveperson:12345678:guestchat-unauth';


beforeEach(() => localStorage.clear());

describe('the wake mark (the loader loads the app at once only when it is set)', () => {
  it('is set while the record holds a conversation, and cleared when it ends', async () => {
    const { store } = markingWake(memoryStore(), tenant);
    await store.write(tenant, { v: 1, tenant });
    expect(wakeOnLoad(tenant)).toBe(false);
    await store.write(tenant, { v: 1, tenant, conversation: { id: 'c1' } });
    expect(wakeOnLoad(tenant)).toBe(true);
    await store.write(tenant, { v: 1, tenant, conversation: undefined });
    expect(wakeOnLoad(tenant)).toBe(false);
  });

  it('is set while the outbox holds messages, whatever the record says', async () => {
    const { store } = markingWake(memoryStore(), tenant);
    await store.write(`${tenant}#outbox`, [{ clientId: 'a', text: 'hi', createdAt: 1 }]);
    expect(wakeOnLoad(tenant)).toBe(true);
    await store.write(tenant, { v: 1, tenant });
    expect(wakeOnLoad(tenant)).toBe(true);
    await store.remove(`${tenant}#outbox`);
    expect(wakeOnLoad(tenant)).toBe(false);
  });

  it('is corrected from what the app found on load, and ignores other tenants', async () => {
    localStorage.setItem(wakeKey(tenant), '1'); // stale: storage was cleared meanwhile
    const { store, known } = markingWake(memoryStore(), tenant);
    known(false, false);
    expect(wakeOnLoad(tenant)).toBe(false);
    await store.write('salesforce:00D5e000000SBOX:GuestChat_Sandbox', { conversation: { id: 'x' } });
    expect(wakeOnLoad(tenant)).toBe(false);
    known(true, false);
    expect(wakeOnLoad(tenant)).toBe(true);
  });

  it('is removed by forget()', async () => {
    const { store, known } = markingWake(memoryStore(), tenant);
    known(true, true);
    await store.forgetAll();
    expect(localStorage.length).toBe(0);
  });
});
