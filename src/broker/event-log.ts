/**
 * Per-visitor event streams for the browser (SSE). Each visitor has one ordered log of
 * normalized events, each with an id that orders it (`<ms>-<n>`, the Redis stream id format in
 * both implementations). A reader subscribes from the last id it holds and gets, in order and
 * once each, everything retained after it, then live events. The memory log serves one process;
 * the Redis log (redis-event-log.ts) lets a browser resume on any instance.
 *
 * Retention: the last MAX_EVENTS_PER_VISITOR events per visitor, and a visitor's log expires
 * STREAM_IDLE_TTL_MS after its last event. Resuming from an id older than what is retained
 * reports a gap (the browser is told with a `resync` event).
 */

export const MAX_EVENTS_PER_VISITOR = 1000;
export const STREAM_IDLE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface LoggedEvent {
  id: string;
  kind: string;
  /** JSON text of the event data. */
  data: string;
}

export interface EventListener {
  onEvent(event: LoggedEvent): void;
  /** Events after the requested id were trimmed or expired: some are lost. */
  onGap(): void;
}

export interface EventSubscription {
  close(): void;
}

export interface EventLog {
  append(visitorId: string, kind: string, data: unknown): Promise<string>;
  /**
   * `lastId` undefined: live events only; `'0'`: everything retained; otherwise events after it.
   * Resolves once the catch-up has been delivered.
   */
  subscribe(visitorId: string, lastId: string | undefined, listener: EventListener): Promise<EventSubscription>;
  close(): Promise<void>;
}

const EVENT_ID = /^(\d{1,16})(?:-(\d{1,16}))?$/;

export function isEventId(value: string): boolean {
  return EVENT_ID.test(value);
}

function parts(id: string): [number, number] {
  const match = EVENT_ID.exec(id);
  return match ? [Number(match[1]), Number(match[2] ?? 0)] : [0, 0];
}

/** Order of two event ids (negative: a before b). */
export function compareEventIds(a: string, b: string): number {
  const [am, as] = parts(a);
  const [bm, bs] = parts(b);
  return am !== bm ? am - bm : as - bs;
}

interface Subscriber {
  listener: EventListener;
}

interface VisitorLog {
  entries: LoggedEvent[];
  /** Highest id trimmed away, if any. */
  maxDeleted: string | undefined;
  subscribers: Set<Subscriber>;
  touchedAt: number;
}

export class MemoryEventLog implements EventLog {
  private readonly logs = new Map<string, VisitorLog>();
  private lastMs = 0;
  private seq = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEvents = MAX_EVENTS_PER_VISITOR,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  private nextId(): string {
    const ms = Math.max(this.now(), this.lastMs);
    if (ms === this.lastMs) this.seq += 1;
    else {
      this.lastMs = ms;
      this.seq = 0;
    }
    return `${ms}-${this.seq}`;
  }

  private log(visitorId: string): VisitorLog {
    let log = this.logs.get(visitorId);
    if (!log) {
      log = { entries: [], maxDeleted: undefined, subscribers: new Set(), touchedAt: this.now() };
      this.logs.set(visitorId, log);
    }
    return log;
  }

  async append(visitorId: string, kind: string, data: unknown): Promise<string> {
    const log = this.log(visitorId);
    const event: LoggedEvent = { id: this.nextId(), kind, data: JSON.stringify(data) };
    log.entries.push(event);
    log.touchedAt = this.now();
    while (log.entries.length > this.maxEvents) log.maxDeleted = log.entries.shift()?.id;
    for (const subscriber of log.subscribers) subscriber.listener.onEvent(event);
    return event.id;
  }

  async subscribe(visitorId: string, lastId: string | undefined, listener: EventListener): Promise<EventSubscription> {
    const existing = this.logs.get(visitorId);
    if (lastId !== undefined && lastId !== '0') {
      const lost = existing === undefined || (existing.maxDeleted !== undefined && compareEventIds(lastId, existing.maxDeleted) < 0);
      if (lost) listener.onGap();
    }
    const log = this.log(visitorId);
    if (lastId !== undefined) {
      for (const event of log.entries) if (lastId === '0' || compareEventIds(event.id, lastId) > 0) listener.onEvent(event);
    }
    // Synchronous from catch-up to registration: nothing appended in between can be missed.
    const subscriber: Subscriber = { listener };
    log.subscribers.add(subscriber);
    return { close: () => void log.subscribers.delete(subscriber) };
  }

  private sweep(): void {
    const now = this.now();
    for (const [visitorId, log] of this.logs) {
      if (log.subscribers.size === 0 && now - log.touchedAt > STREAM_IDLE_TTL_MS) this.logs.delete(visitorId);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const log of this.logs.values()) log.subscribers.clear();
  }
}
