/**
 * The broker's event stream `GET /v1/events` over `fetch` (the visitor token goes in the
 * Authorization header, which the browser's EventSource cannot send; it never goes in a URL).
 * Framing is eventsource-parser's job.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { GuestChatError } from '../../errors.ts';
import { answerError, readRetryAfter, type FetchLike } from './http.ts';

export type { EventSourceMessage };

export interface StreamRequest {
  url: string;
  token: string;
  /** Sent as Last-Event-Id: `0` replays everything the broker retains. */
  lastEventId: string;
  /** Aborting ends the stream. */
  signal: AbortSignal;
  /** Time allowed for the response headers. */
  openTimeoutMs: number;
}

export interface StreamHandlers {
  /** Every parsed event, in order. */
  onEvent(event: EventSourceMessage): void;
  /** Bytes arrived (liveness: keep-alive comments included). */
  onBytes(): void;
}

export interface OpenStream {
  /** Read until the broker ends the stream (resolves) or it fails or is aborted (rejects). */
  read(handlers: StreamHandlers): Promise<void>;
}

/**
 * Open the stream; resolves once the response headers say 200. A refusal rejects with its
 * reason: 401 `auth-rejected`, 429 `rate-limited`, 5xx `server-error`, other statuses
 * `request-refused`, no answer `network`.
 */
export async function openEventStream(fetchFn: FetchLike, request: StreamRequest): Promise<OpenStream> {
  const headers: Record<string, string> = {
    Accept: 'text/event-stream',
    Authorization: `Bearer ${request.token}`,
    'Last-Event-Id': request.lastEventId,
  };
  // One signal for the whole fetch (headers and body): the caller's, or our time limit on the headers.
  const controller = new AbortController();
  const forward = (): void => controller.abort();
  if (request.signal.aborted) controller.abort();
  request.signal.addEventListener('abort', forward, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.openTimeoutMs);
  let response: Response;
  try {
    response = await fetchFn(request.url, { method: 'GET', headers, credentials: 'omit', cache: 'no-store', signal: controller.signal });
  } catch (cause) {
    request.signal.removeEventListener('abort', forward);
    const what = timedOut ? 'The event stream did not answer in time' : 'The event stream could not be opened';
    throw new GuestChatError('network', what, { cause });
  } finally {
    clearTimeout(timer);
  }

  if (response.status !== 200) {
    request.signal.removeEventListener('abort', forward);
    let body: unknown;
    try {
      const text = await response.text();
      body = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    throw answerError({ status: response.status, body, retryAfterSec: readRetryAfter(response.headers.get('Retry-After')) }, 'The event stream');
  }
  const source = response.body;
  if (source === null) throw new GuestChatError('connection-lost', 'The event stream has no body', { status: 200 });

  return {
    async read(handlers: StreamHandlers): Promise<void> {
      const parser = createParser({ onEvent: (event) => handlers.onEvent(event) });
      const reader = source.pipeThrough(new TextDecoderStream()).getReader();
      const cancel = (): void => void reader.cancel().catch(() => {});
      request.signal.addEventListener('abort', cancel, { once: true });
      try {
        for (;;) {
          if (request.signal.aborted) throw new GuestChatError('connection-lost', 'The event stream was closed');
          const { value, done } = await reader.read();
          if (done) {
            if (request.signal.aborted) throw new GuestChatError('connection-lost', 'The event stream was closed');
            return;
          }
          handlers.onBytes();
          parser.feed(value);
        }
      } finally {
        request.signal.removeEventListener('abort', cancel);
        request.signal.removeEventListener('abort', forward);
        try {
          reader.releaseLock();
        } catch {
          // Nothing to release.
        }
      }
    },
  };
}
