/**
 * The event log on Redis streams: one stream per visitor (`XADD … MAXLEN ~ 1000`), the stream
 * entry id is the SSE `id:`. A browser resuming with `Last-Event-Id` on any instance gets the
 * entries after it (XRANGE), then live ones.
 *
 * Live reading: one reader loop per instance, on its own connection, runs `XREAD BLOCK` over
 * the streams of every visitor connected to this instance — one blocked connection per
 * instance, not one per browser. When the set of streams changes, the loop is woken with
 * `CLIENT UNBLOCK` and re-issues the read with the new set.
 */
import {
  MAX_EVENTS_PER_VISITOR,
  STREAM_IDLE_TTL_MS,
  compareEventIds,
  type EventListener,
  type EventLog,
  type EventSubscription,
  type LoggedEvent,
} from './event-log.ts';
import type { RedisCommander } from './redis-store.ts';

const BLOCK_MS = 5_000;
const READ_COUNT = 500;
const RANGE_PAGE = 500;

interface Subscriber {
  listener: EventListener;
  /** Catch-up still running: live events wait here. */
  buffer: LoggedEvent[] | undefined;
  lastSent: string | undefined;
}

interface Watched {
  cursor: string;
  subscribers: Set<Subscriber>;
}

type RawEntry = [string, string[]];

function toEvent(entry: RawEntry): LoggedEvent {
  const [id, fields] = entry;
  let kind = 'message';
  let data = 'null';
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'kind') kind = fields[i + 1] ?? kind;
    else if (fields[i] === 'data') data = fields[i + 1] ?? data;
  }
  return { id, kind, data };
}

export class RedisEventLog implements EventLog {
  private readonly watched = new Map<string, Watched>();
  private closed = false;
  private blocked = false;
  private readerId: string | undefined;
  private idleWake: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;

  constructor(
    private readonly redis: RedisCommander,
    /** A connection of its own: XREAD BLOCK occupies it. */
    private readonly reader: RedisCommander,
    private readonly prefix: string,
    private readonly log: (line: string) => void = () => {},
    private readonly maxEvents = MAX_EVENTS_PER_VISITOR,
  ) {}

  private key(visitorId: string): string {
    return `${this.prefix}events:${visitorId}`;
  }

  async start(): Promise<void> {
    this.readerId = String(await this.reader.sendCommand<number>(['CLIENT', 'ID']));
    this.loopDone = this.loop();
  }

  async append(visitorId: string, kind: string, data: unknown): Promise<string> {
    const key = this.key(visitorId);
    const id = await this.redis.sendCommand<string>(['XADD', key, 'MAXLEN', '~', String(this.maxEvents), '*', 'kind', kind, 'data', JSON.stringify(data)]);
    await this.redis.sendCommand(['PEXPIRE', key, String(STREAM_IDLE_TTL_MS)]);
    return id;
  }

  async subscribe(visitorId: string, lastId: string | undefined, listener: EventListener): Promise<EventSubscription> {
    const key = this.key(visitorId);
    const subscriber: Subscriber = { listener, buffer: [], lastSent: lastId === '0' ? undefined : lastId };
    let watched = this.watched.get(visitorId);
    if (!watched) {
      const top = await this.redis.sendCommand<RawEntry[]>(['XREVRANGE', key, '+', '-', 'COUNT', '1']);
      watched = this.watched.get(visitorId) ?? { cursor: top[0]?.[0] ?? '0-0', subscribers: new Set() };
      this.watched.set(visitorId, watched);
      watched.subscribers.add(subscriber);
      this.wake();
    } else {
      watched.subscribers.add(subscriber);
    }
    const subscription: EventSubscription = {
      close: () => {
        const current = this.watched.get(visitorId);
        current?.subscribers.delete(subscriber);
        if (current && current.subscribers.size === 0) this.watched.delete(visitorId);
      },
    };
    try {
      if (lastId !== undefined) {
        if (lastId !== '0' && (await this.trimmedPast(key, lastId))) listener.onGap();
        let start = lastId === '0' ? '-' : `(${lastId}`;
        for (;;) {
          const page = await this.redis.sendCommand<RawEntry[]>(['XRANGE', key, start, '+', 'COUNT', String(RANGE_PAGE)]);
          for (const entry of page) this.deliver(subscriber, toEvent(entry), true);
          const last = page[page.length - 1];
          if (page.length < RANGE_PAGE || !last) break;
          start = `(${last[0]}`;
        }
      }
    } catch (error) {
      subscription.close();
      throw error;
    }
    const buffered = subscriber.buffer ?? [];
    subscriber.buffer = undefined;
    for (const event of buffered) this.deliver(subscriber, event, true);
    return subscription;
  }

  /** Whether entries after `lastId` were trimmed (MAXLEN) or the whole stream expired. */
  private async trimmedPast(key: string, lastId: string): Promise<boolean> {
    let info: unknown[];
    try {
      info = await this.redis.sendCommand<unknown[]>(['XINFO', 'STREAM', key]);
    } catch {
      return true; // no such key: the stream expired (or never existed for this id)
    }
    for (let i = 0; i + 1 < info.length; i += 2) {
      if (info[i] === 'max-deleted-entry-id') {
        const maxDeleted = String(info[i + 1]);
        return maxDeleted !== '0-0' && compareEventIds(lastId, maxDeleted) < 0;
      }
    }
    return false; // Redis < 7 does not say; assume nothing was lost
  }

  private deliver(subscriber: Subscriber, event: LoggedEvent, direct: boolean): void {
    if (!direct && subscriber.buffer) {
      subscriber.buffer.push(event);
      return;
    }
    if (subscriber.lastSent !== undefined && compareEventIds(event.id, subscriber.lastSent) <= 0) return;
    subscriber.lastSent = event.id;
    subscriber.listener.onEvent(event);
  }

  private wake(attempt = 0): void {
    this.idleWake?.();
    this.idleWake = undefined;
    if (!this.blocked || this.readerId === undefined) return;
    this.redis.sendCommand<number>(['CLIENT', 'UNBLOCK', this.readerId]).then(
      (unblocked) => {
        // 0: the read was sent but has not reached Redis yet; try again shortly.
        if (Number(unblocked) === 0 && this.blocked && attempt < 20) setTimeout(() => this.wake(attempt + 1), 5);
      },
      () => {},
    );
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      if (this.watched.size === 0) {
        await new Promise<void>((resolve) => (this.idleWake = resolve));
        continue;
      }
      const visitors = [...this.watched.keys()];
      const cursors = visitors.map((v) => this.watched.get(v)?.cursor ?? '$');
      let reply: [string, RawEntry[]][] | null;
      this.blocked = true;
      try {
        reply = await this.reader.sendCommand<[string, RawEntry[]][] | null>([
          'XREAD', 'COUNT', String(READ_COUNT), 'BLOCK', String(BLOCK_MS), 'STREAMS',
          ...visitors.map((v) => this.key(v)), ...cursors,
        ]);
      } catch (error) {
        this.blocked = false;
        if (this.closed) break;
        this.log(`event stream read failed: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      this.blocked = false;
      for (const [key, entries] of reply ?? []) {
        const visitorId = key.slice(`${this.prefix}events:`.length);
        const watched = this.watched.get(visitorId);
        if (!watched) continue;
        for (const entry of entries) {
          watched.cursor = entry[0];
          const event = toEvent(entry);
          for (const subscriber of watched.subscribers) this.deliver(subscriber, event, false);
        }
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.idleWake?.();
    if (this.blocked && this.readerId !== undefined) {
      await this.redis.sendCommand(['CLIENT', 'UNBLOCK', this.readerId]).catch(() => {});
    }
    await this.loopDone?.catch(() => {});
    this.watched.clear();
  }
}
