/** Shared fakes for this folder's tests (not part of the adapter). */
import type { Clock } from '../types.ts';
export { fakeFetch, json, type RecordedRequest, type Route } from '../test-helpers.ts';

/** A server-sent event stream the test writes to, chunk by chunk. */
export class FakeEventStream {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly encoder = new TextEncoder();
  closed = false;
  cancelled = false;
  readonly body: ReadableStream<Uint8Array>;

  constructor(signal?: AbortSignal) {
    this.body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
      },
      cancel: () => {
        this.cancelled = true;
      },
    });
    signal?.addEventListener('abort', () => {
      this.cancelled = true;
      try {
        this.controller.error(new DOMException('Aborted', 'AbortError'));
      } catch {
        // already closed
      }
    });
  }

  response(): Response {
    return new Response(this.body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  }

  write(text: string): void {
    if (this.closed || this.cancelled) return;
    this.controller.enqueue(this.encoder.encode(text));
  }

  /** One event frame. */
  event(name: string, data: unknown, id?: string): void {
    this.write(frame(name, data, id));
  }

  end(): void {
    if (this.closed || this.cancelled) return;
    this.closed = true;
    this.controller.close();
  }

  fail(): void {
    if (this.closed || this.cancelled) return;
    this.closed = true;
    this.controller.error(new TypeError('network error'));
  }
}

export function frame(name: string, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

export function fixedClock(start = 1_700_000_000_000): Clock & { t: number } {
  const clock = {
    t: start,
    now: () => clock.t,
    observeServerTime: () => {},
  };
  return clock;
}

/** Let pending promise callbacks and stream reads run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

// ------------------------------------------------------------------------------------------
// Entries as Salesforce sends them

export interface EntryOptions {
  identifier: string;
  entryType: string;
  payload?: Record<string, unknown>;
  role?: string;
  name?: string;
  at?: number;
  related?: string[];
}

export function entry(o: EntryOptions, payloadAsString = true): Record<string, unknown> {
  const payload = { entryType: o.entryType, id: o.identifier, ...o.payload };
  return {
    identifier: o.identifier,
    entryType: o.entryType,
    entryPayload: payloadAsString ? JSON.stringify(payload) : payload,
    sender: { role: o.role ?? 'Agent', subject: 'subject-x' },
    senderDisplayName: o.name ?? (o.role === 'EndUser' ? 'Guest' : 'Ada'),
    transcriptedTimestamp: o.at ?? 1_700_000_000_500,
    clientTimestamp: (o.at ?? 1_700_000_000_500) - 10,
    relatedRecords: o.related ?? [],
  };
}

export function envelope(conversationId: string, conversationEntry: unknown): Record<string, unknown> {
  return {
    channelPlatformKey: 'key',
    channelType: 'embedded_messaging',
    channelAddressIdentifier: 'channel-1',
    conversationId,
    conversationEntry,
  };
}

export function textPayload(text: string, id = 'm'): Record<string, unknown> {
  return {
    abstractMessage: { messageType: 'StaticContentMessage', id, staticContent: { formatType: 'Text', text } },
    messageReason: null,
  };
}
