/**
 * The broker's event stream `GET /v1/events` (the visitor token goes in the Authorization header,
 * never in a URL). Reading is the shared adapters/sse.ts; this names the headers and what a
 * refusal means here.
 */
import { openSse, type OpenStream } from '../sse.ts';
import { answerError, type FetchLike } from './http.ts';

export type { EventSourceMessage, OpenStream, StreamHandlers } from '../sse.ts';

export interface StreamRequest {
  url: string;
  token: string;
  /** Sent as Last-Event-Id: `0` replays everything the broker retains. */
  lastEventId: string;
  /** Aborting ends the stream; a time-out aborts it too. */
  abort: AbortController;
  /** Time allowed for the response headers. */
  openTimeoutMs: number;
}

/**
 * Open the stream; resolves once the response headers say 200. A refusal rejects with its
 * reason: 401 `auth-rejected`, 429 `rate-limited`, 5xx `server-error`, other statuses
 * `request-refused`, no answer `network`.
 */
export function openEventStream(fetchFn: FetchLike, request: StreamRequest): Promise<OpenStream> {
  const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${request.token}`, 'Last-Event-Id': request.lastEventId };
  return openSse(fetchFn, { ...request, headers }, (answer) => answerError(answer, 'Event stream'));
}
