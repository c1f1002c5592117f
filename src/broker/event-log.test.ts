import { describe, expect, it } from 'vitest';
import { MemoryEventLog, compareEventIds, type LoggedEvent } from './event-log.ts';

function collector() {
  const events: LoggedEvent[] = [];
  let gaps = 0;
  return { events, gaps: () => gaps, listener: { onEvent: (e: LoggedEvent) => events.push(e), onGap: () => (gaps += 1) } };
}

describe('memory event log', () => {
  it('orders ids, resumes after a Last-Event-Id with no loss and no duplicates', async () => {
    const log = new MemoryEventLog(() => 1_000);
    const ids = [];
    for (let i = 0; i < 5; i += 1) ids.push(await log.append('v1', 'message', { n: i }));
    await log.append('v2', 'message', { other: true });
    expect([...ids].sort(compareEventIds)).toEqual(ids);

    const live = collector();
    const sub = await log.subscribe('v1', undefined, live.listener);
    await log.append('v1', 'typing', { on: true });
    expect(live.events.map((e) => e.kind)).toEqual(['typing']);
    sub.close();

    const resumed = collector();
    await log.subscribe('v1', ids[1], resumed.listener);
    expect(resumed.events.map((e) => JSON.parse(e.data))).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }, { on: true }]);
    await log.append('v1', 'message', { n: 5 });
    expect(resumed.events).toHaveLength(5);
    expect(resumed.gaps()).toBe(0);

    const all = collector();
    await log.subscribe('v1', '0', all.listener);
    expect(all.events).toHaveLength(7);
    await log.close();
  });

  it('reports a gap when the resume point was trimmed or is unknown', async () => {
    const log = new MemoryEventLog(Date.now, 3);
    const first = await log.append('v1', 'message', { n: 0 });
    for (let i = 1; i < 5; i += 1) await log.append('v1', 'message', { n: i });
    const trimmed = collector();
    await log.subscribe('v1', first, trimmed.listener);
    expect(trimmed.gaps()).toBe(1);
    expect(trimmed.events.map((e) => JSON.parse(e.data))).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
    const unknown = collector();
    await log.subscribe('nobody', '123-0', unknown.listener);
    expect(unknown.gaps()).toBe(1);
    await log.close();
  });
});
