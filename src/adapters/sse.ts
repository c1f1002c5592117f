/**
 * An event stream read over `fetch` (the browser's EventSource cannot send Authorization), framed
 * by a small parser of the WHATWG event-stream format, and watched for silence. Vendor-neutral:
 * the vendor names the URL and headers and says what a refusal means.
 */
import { GuestChatError } from '../errors.ts';
import { answerOf, fetchWithin, type FetchLike, type HttpAnswer } from './http.ts';

/** One dispatched event. `id` is the `id:` field of this event's own lines, when it had one. */
export interface EventSourceMessage {
  id?: string | undefined;
  event?: string | undefined;
  data: string;
}

/**
 * The WHATWG "event stream interpretation" (HTML §9.2.6), fed decoded text in chunks of any size:
 * lines end with CRLF, LF or CR (a CRLF may be split across chunks); a leading BOM is the
 * decoder's (TextDecoderStream consumes it, as the spec's UTF-8 decode does), here it is text;
 * `:` lines are comments; a line without a colon is a field with an empty value; one space after
 * the colon is dropped; `data` lines are joined with LF; an `id` holding NUL is ignored; a blank
 * line dispatches, unless no `data` line came. `retry` is read by no one here (reconnect timing
 * is our own backoff), so it is ignored like any unknown field.
 */
/** A line: the field name, then after a colon (and one space) the value. */
const FIELD = /^([^:]*):? ?(.*)$/s;

export function createSseParser(onEvent: (event: EventSourceMessage) => void): (chunk: string) => void {
  /** The unfinished last line. */
  let rest = '';
  /** The previous chunk ended with CR: an LF opening this one belongs to it. */
  let afterCr = false;
  let data: string | undefined;
  let event: string | undefined;
  let id: string | undefined;
  return (chunk) => {
    if (afterCr && chunk[0] === '\n') chunk = chunk.slice(1);
    if (chunk !== '') afterCr = chunk.endsWith('\r');
    const lines = (rest + chunk).split(/\r\n|\r|\n/);
    rest = lines.pop()!;
    for (const line of lines) {
      if (line === '') {
        if (data !== undefined) onEvent({ id, event, data });
        data = event = id = undefined;
        continue;
      }
      // The field name runs to the first colon (all of a line without one); a comment's is empty.
      const [, field, value = ''] = FIELD.exec(line)!;
      if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
      else if (field === 'event') event = value || undefined;
      else if (field === 'id' && !value.includes('\0')) id = value;
    }
  };
}

export interface SseRequest {
  url: string;
  headers: Record<string, string>;
  /**
   * Aborting ends the stream (one live stream per tab: the old one is aborted first). It is also
   * aborted when the response headers do not come in time: the fetch, headers and body, has this one signal.
   */
  abort: AbortController;
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
  const { abort } = request;
  const { signal } = abort;
  // Resolved at the headers: the time limit is for them only.
  const response = await fetchWithin(fetchFn, request.url, { method: 'GET', headers: request.headers }, abort, request.openTimeoutMs, (r) => r, 'Event stream');
  const { status, body: source } = response;
  if (status !== 200) throw refusal(await answerOf(response, true));
  if (source === null) throw new GuestChatError('connection-lost', 'Event stream without body', { status });

  return {
    async read(handlers) {
      const feed = createSseParser(handlers.onEvent);
      const reader = source.pipeThrough(new TextDecoderStream()).getReader();
      // An abort ends a pending read (done): the read then rejects, as for an abort before it.
      // (The abort of a stream that already ended cancels a finished reader: nothing happens.)
      signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true });
      for (;;) {
        if (signal.aborted) throw signal.reason;
        const { value, done } = await reader.read();
        if (done && !signal.aborted) return;
        if (value !== undefined) {
          handlers.onBytes();
          feed(value);
        }
      }
    },
  };
}

export interface StreamWatch {
  /**
   * The connection is ready: an end that came while connecting is thrown (connect() fails with
   * it); from now on an end is reported through `onEnd`, and silence is watched.
   */
  live(): void;
  /** Our own end: the stream is aborted, nothing is reported. */
  stop(): void;
}

/**
 * Read an open stream in the background. No bytes for `stallMs` (the servers send keep-alives)
 * ends it: a silent stream may be dead without the network telling us. Its end is reported once,
 * with a reason (`end of stream`, `network`, `no data`).
 */
export function watchStream(
  stream: OpenStream,
  abort: AbortController,
  stallMs: number,
  onEvent: (event: EventSourceMessage) => void,
  onEnd: (reason: string) => void,
): StreamWatch {
  let ready = false;
  let stopped = false;
  let early: GuestChatError | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ended = (reason: string): void => {
    if (stopped) return;
    if (ready) onEnd(reason);
    else early ??= new GuestChatError('connection-lost', `Event stream ended while connecting (${reason})`);
  };
  const arm = (): void => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      abort.abort();
      ended('no data');
    }, stallMs);
  };
  stream.read({ onEvent, onBytes: arm }).then(
    () => ended('end of stream'),
    () => ended('network'),
  );
  return {
    live() {
      if (early !== undefined) throw early;
      ready = true;
      arm();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      abort.abort();
    },
  };
}
