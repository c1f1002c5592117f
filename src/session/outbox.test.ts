import { describe, expect, it } from 'vitest';
import type { LocalStore } from '../auth/index.ts';
import { createOutbox } from './outbox.ts';

function memoryStore(initial?: unknown): LocalStore & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  if (initial !== undefined) data.set('t#outbox', initial);
  return {
    data,
    read: async (key) => data.get(key),
    write: async (key, value) => void data.set(key, value),
    remove: async (key) => void data.delete(key),
    forgetAll: async () => data.clear(),
  };
}

describe('outbox', () => {
  it('keeps only well-formed entries, with defaults for damaged optional parts', async () => {
    const outbox = createOutbox(
      memoryStore([
        { clientId: 'a', text: 'hi', createdAt: 1, attempts: 2, failed: true, replyTo: { messageId: 'm', metadata: [{ x: 1 }] } },
        { clientId: 'b', text: 'yo', createdAt: 2, attempts: -1, failed: 'yes', replyTo: { messageId: 'm', metadata: 'no' } },
        { clientId: 'c', text: 'x', createdAt: 3, replyTo: { messageId: 5 } },
        { clientId: '', text: 'x', createdAt: 1 },
        { clientId: 'd', text: '', createdAt: 1 },
        { clientId: 'e', text: 'x', createdAt: Number.NaN },
        null,
        'junk',
      ]),
      't',
    );
    expect(await outbox.load()).toStrictEqual([
      { clientId: 'a', text: 'hi', createdAt: 1, attempts: 2, failed: true, replyTo: { messageId: 'm', metadata: [{ x: 1 }] } },
      { clientId: 'b', text: 'yo', createdAt: 2, attempts: 0, replyTo: { messageId: 'm' } },
      { clientId: 'c', text: 'x', createdAt: 3, attempts: 0 },
    ]);
    expect(await createOutbox(memoryStore({ not: 'a list' }), 't').load()).toEqual([]);
  });

  it('adds, patches, and removes (the key goes when empty)', async () => {
    const store = memoryStore();
    const outbox = createOutbox(store, 't');
    const entry = { clientId: 'a', text: 'hi', createdAt: 1, attempts: 0 };
    await outbox.put('a', {}, entry);
    await outbox.put('a', {}, { ...entry, text: 'other' });
    expect(await outbox.load()).toEqual([entry]);
    await outbox.put('a', { attempts: 2, failed: true });
    await outbox.put('gone', { attempts: 1 });
    expect(await outbox.load()).toEqual([{ ...entry, attempts: 2, failed: true }]);
    await outbox.remove('a');
    expect(store.data.has('t#outbox')).toBe(false);
  });
});
