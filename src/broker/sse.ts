/**
 * `GET /v1/events`: the visitor's events as Server-Sent Events, read by the widget with fetch
 * (the token goes in the Authorization header; it never goes in a URL, so EventSource is not
 * used). Each event has `id:` (resume point), `event:` (kind) and one line of JSON `data:`.
 * `Last-Event-Id` resumes after a drop with no loss and no duplicates; `Last-Event-Id: 0`
 * replays everything retained. A comment every 15 s keeps proxies from closing the stream; when
 * the visitor token expires the stream says `auth-expired` and ends.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BrokerError } from './errors.ts';
import { isEventId, type EventLog, type EventSubscription, type LoggedEvent } from './event-log.ts';
import type { VisitorTokens } from './visitor-tokens.ts';
import { bearerToken } from './http.ts';

export const KEEP_ALIVE_MS = 15_000;
/** A reader this far behind is cut off (it resumes with Last-Event-Id). */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface SseOptions {
  events: EventLog;
  tokens: VisitorTokens;
  now: () => number;
  keepAliveMs?: number;
}

export class EventStreams {
  private readonly open = new Map<ServerResponse, () => void>();

  constructor(private readonly o: SseOptions) {}

  get connections(): number {
    return this.open.size;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const visitor = await this.o.tokens.verify(bearerToken(req));
    const header = req.headers['last-event-id'];
    const lastId = (Array.isArray(header) ? header[0] : header)?.trim() || undefined;
    if (lastId !== undefined && !isEventId(lastId)) throw new BrokerError(400, 'bad-request', 'Last-Event-Id is not an event id');

    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write(': connected\n\n');
    let subscription: EventSubscription | undefined;
    let ended = false;
    const write = (text: string): void => {
      if (ended) return;
      res.write(text);
      if (res.writableLength > MAX_BUFFERED_BYTES) end();
    };
    const keepAlive = setInterval(() => write(': keep-alive\n\n'), this.o.keepAliveMs ?? KEEP_ALIVE_MS);
    const expiry = setTimeout(() => {
      write('event: auth-expired\ndata: {}\n\n');
      end();
    }, Math.max(0, Math.min(visitor.expiresAt - this.o.now(), 2 ** 31 - 1)));
    const end = (): void => {
      if (ended) return;
      ended = true;
      clearInterval(keepAlive);
      clearTimeout(expiry);
      subscription?.close();
      this.open.delete(res);
      res.end();
    };
    this.open.set(res, end);
    // The response's close: the browser went away (or we ended it).
    res.on('close', end);
    res.on('error', end);

    try {
      subscription = await this.o.events.subscribe(visitor.visitorId, lastId, {
        onEvent: (event: LoggedEvent) => write(`id: ${event.id}\nevent: ${event.kind}\ndata: ${event.data}\n\n`),
        onGap: () => write('event: resync\ndata: {"reason":"events-lost"}\n\n'),
      });
    } catch {
      write('event: error\ndata: {"code":"internal"}\n\n');
      end();
      return;
    }
    if (ended) subscription.close();
  }

  /** End every stream (broker shutdown). */
  closeAll(): void {
    for (const end of [...this.open.values()]) end();
  }
}
