/**
 * Test-only: read the broker's event stream the way the widget will — fetch with the
 * Authorization header, eventsource-parser for the framing.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseReader {
  events: EventSourceMessage[];
  status: number;
  /** Resolves when `count` events (in total) have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<EventSourceMessage[]>;
  close(): void;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
}

export async function openEvents(brokerUrl: string, token: string, lastEventId?: string, origin?: string): Promise<SseReader> {
  const controller = new AbortController();
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' };
  if (lastEventId !== undefined) headers['Last-Event-Id'] = lastEventId;
  if (origin !== undefined) headers['Origin'] = origin;
  const response = await fetch(`${brokerUrl}/v1/events`, { headers, signal: controller.signal });
  const events: EventSourceMessage[] = [];
  const waiters: Array<() => void> = [];
  const parser = createParser({
    onEvent: (event) => {
      events.push(event);
      for (const waiter of waiters.splice(0)) waiter();
    },
  });
  const ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch {
      // aborted
    }
    for (const waiter of waiters.splice(0)) waiter();
  })();
  return {
    events,
    status: response.status,
    ended,
    close: () => controller.abort(),
    async waitFor(count: number, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} events, got ${events.length}: ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, Math.min(left, 100));
        });
      }
      return events;
    },
  };
}
