/**
 * An event stream read over `fetch` (the browser's EventSource cannot send Authorization), with
 * eventsource-parser doing the framing. Vendor-neutral: the vendor names the URL and headers and
 * says what a refusal means.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { GuestChatError } from '../errors.ts';
import { readJson, readRetryAfter, type FetchLike, type HttpAnswer } from './http.ts';

export type { EventSourceMessage };

export interface SseRequest {
  url: string;
  headers: Record<string, string>;
  /** Aborting ends the stream (one live stream per tab: the old one is aborted first). */
  signal: AbortSignal;
  /** Time allowed for the response headers. */
  openTimeoutMs: number;
}

export interface StreamHandlers {
  /** Every parsed event, in order. */
  onEvent(event: EventSourceMessage): void;
  /** Bytes arrived (liveness: comments and pings included). */
  onBytes(): void;
}

export interface OpenStream {
  /** Read until the server ends the stream (resolves) or it fails or is aborted (rejects). */
  read(handlers: StreamHandlers): Promise<void>;
}

/**
 * Open the stream; resolves once the response headers say 200 (the stream counts as open then).
 * A non-200 answer rejects with `refusal(answer)`; no answer rejects with `network`.
 */
export async function openSse(fetchFn: FetchLike, request: SseRequest, refusal: (answer: HttpAnswer) => GuestChatError): Promise<OpenStream> {
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
    response = await fetchFn(request.url, { method: 'GET', headers: request.headers, credentials: 'omit', cache: 'no-store', signal: controller.signal });
  } catch (cause) {
    request.signal.removeEventListener('abort', forward);
    const what = timedOut ? 'The event stream did not answer in time' : 'The event stream could not be opened';
    throw new GuestChatError('network', what, { cause });
  } finally {
    clearTimeout(timer);
  }

  if (response.status !== 200) {
    request.signal.removeEventListener('abort', forward);
    const body = await readJson(response);
    throw refusal({ status: response.status, body, retryAfterSec: readRetryAfter(response.headers.get('Retry-After')) });
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
