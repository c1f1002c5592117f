import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReceiptBatch } from './receipts.ts';

describe('receipt batch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the ids gathered within the wait together, per conversation, once', () => {
    const sent: [string, string[]][] = [];
    const batch = createReceiptBatch(1_000, (conversationId, ids) => sent.push([conversationId, ids]));
    batch.add('c1', 'a');
    vi.advanceTimersByTime(500);
    batch.add('c1', 'b');
    batch.add('c2', 'x');
    batch.add('c1', 'a');
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(sent).toEqual([
      ['c1', ['a', 'b']],
      ['c2', ['x']],
    ]);
    vi.advanceTimersByTime(5_000);
    expect(sent).toHaveLength(2);
  });

  it('flushes at once, leaves out removed ids, and drops what is gathered when asked to', () => {
    const sent: [string, string[]][] = [];
    const batch = createReceiptBatch(1_000, (conversationId, ids) => sent.push([conversationId, ids]));
    batch.add('c1', 'a');
    batch.add('c1', 'b');
    batch.remove('a');
    batch.flush();
    expect(sent).toEqual([['c1', ['b']]]);
    batch.add('c1', 'c');
    batch.flush(true);
    vi.advanceTimersByTime(5_000);
    expect(sent).toEqual([['c1', ['b']]]);
  });
});
