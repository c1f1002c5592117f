import { describe, expect, it } from 'vitest';
import { createOutbox } from './outbox.ts';
import { memoryStore as storeWith } from './test-helpers.ts';

/** The outbox's store, holding `initial` as the stored outbox when given. */
const memoryStore = (initial?: unknown) => storeWith(initial === undefined ? [] : [['t#outbox', initial]]);

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
