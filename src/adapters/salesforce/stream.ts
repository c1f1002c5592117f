/**
 * The event stream `GET {scrt}/eventrouter/v1/sse` (contract §3.1; W4: over fetch, never the
 * browser EventSource). Reading is the shared adapters/sse.ts; this names the headers of §3.1
 * and what a refusal means here.
 */
import { openSse, type OpenStream } from '../sse.ts';
import { answerError, type FetchLike } from './http.ts';

export type { EventSourceMessage, OpenStream, StreamHandlers } from '../sse.ts';

export interface StreamRequest {
  url: string;
  token: string;
  /** Exactly 15 characters (§5.1). */
  orgId15: string;
  /** Sent as Last-Event-Id whenever there is one (W4; an empty one is none). */
  lastEventId: string | undefined;
  /** Aborting ends the stream (one live stream per tab: the old one is aborted first); a time-out aborts it too. */
  abort: AbortController;
  /** Time allowed for the response headers. */
  openTimeoutMs: number;
}

/**
 * Open the stream; resolves once the response headers say 200 (§3.2). A refusal rejects with its
 * reason: 401 `auth-rejected`; 400/403/404 `request-refused` (stop and report, §3.6); 429
 * `rate-limited`; 5xx `server-error`; no answer `network`.
 */
export function openEventStream(fetchFn: FetchLike, request: StreamRequest): Promise<OpenStream> {
  const { lastEventId } = request;
  const headers = {
    Accept: 'text/event-stream',
    Authorization: `Bearer ${request.token}`,
    'X-Org-Id': request.orgId15,
    'Cache-Control': 'no-cache',
    ...(lastEventId && { 'Last-Event-Id': lastEventId }),
  };
  return openSse(fetchFn, { ...request, headers }, (answer) => answerError(answer, 'Event stream', { 403: 'request-refused' }));
}
