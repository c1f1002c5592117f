/**
 * Request/response over the Messaging Window WebSocket (contract §5.2): increasing decimal
 * request ids, correlation on `kind` + `reqId` only, and a dead-socket rule — a request without
 * an answer in 15 s closes the socket and reports it. Knows nothing of conversations.
 */
import { GuestChatError } from '../../errors.ts';
import { NORMAL_CLOSE, closeReason, parseFrame, type NotificationFrame, type ResponseFrame } from './protocol.ts';

/** The part of the browser WebSocket this module uses (a test passes a fake). */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  /** Not listened to: a close event always follows an error. */
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface SocketClosed {
  /** Close code from the server; undefined when we gave up on a silent socket. */
  code: number | undefined;
  reason: string | undefined;
}

/** What the socket reports to its owner. */
export interface SocketEvents {
  /** Every notification, in arrival order. */
  notification(frame: NotificationFrame): void;
  /** A frame that could not be read (it was ignored). */
  protocolError(error: GuestChatError): void;
  /** The socket ended other than by our own `close()`. Called at most once. */
  closed(closed: SocketClosed): void;
}

export interface LpSocket {
  readonly isOpen: boolean;
  /** Send a request frame (fields left undefined are not sent) and wait for its response. */
  request(type: string, body?: unknown, metadata?: unknown[], headers?: unknown[]): Promise<ResponseFrame>;
  /** Our own close: code 1000, no `closed` event. */
  close(): void;
  /** A silent server: close it ourselves, and report the socket ended (`no-response`). */
  giveUp(): void;
}

/** Ends a waiting request: with its response, or with an error. */
type Settle = (response: ResponseFrame | GuestChatError) => void;

const lost = (message: string, cause?: unknown): GuestChatError => new GuestChatError('connection-lost', message, { cause });

/**
 * Open a socket; rejects with `network` when it does not open within `timeoutMs`. Each request
 * then has `timeoutMs` to be answered.
 */
export function openSocket(url: string, createSocket: WebSocketFactory, timeoutMs: number, on: SocketEvents): Promise<LpSocket> {
  return new Promise((resolve, reject) => {
    const notOpened = (details: { status?: number; cause?: unknown }): void =>
      reject(new GuestChatError('network', 'Socket did not open', details));
    let ws: WebSocketLike;
    try {
      ws = createSocket(url);
    } catch (cause) {
      return notOpened({ cause });
    }
    const pending = new Map<string, Settle>();
    let nextId = 1;
    /** From the open event until the socket ended. */
    let open = false;

    const detach = (): void => {
      ws.onopen = ws.onmessage = ws.onclose = null;
    };
    const closeWs = (): void => {
      detach();
      ws.close(NORMAL_CLOSE); // a no-op on a socket already closing
    };
    const shutDown = (error: GuestChatError): void => {
      open = false;
      for (const settle of pending.values()) settle(error);
    };

    const socket: LpSocket = {
      get isOpen() {
        return open;
      },
      request(type, body, metadata, headers) {
        if (!open) return Promise.reject(lost('Socket closed'));
        const id = String(nextId++);
        return new Promise((resolve, reject) => {
          const settle: Settle = (answer) => {
            clearTimeout(timer);
            pending.delete(id);
            if (answer instanceof GuestChatError) reject(answer);
            else resolve(answer);
          };
          const timer = setTimeout(() => {
            settle(lost(`No answer to ${type} in time`));
            socket.giveUp();
          }, timeoutMs);
          pending.set(id, settle);
          try {
            ws.send(JSON.stringify({ kind: 'req', id, type, body, metadata, headers }));
          } catch (cause) {
            settle(lost('Socket send failed', cause));
          }
        });
      },
      close() {
        if (!open) return;
        shutDown(lost('Socket closed'));
        closeWs();
      },
      giveUp() {
        if (!open) return;
        socket.close();
        on.closed({ code: undefined, reason: 'no-response' });
      },
    };

    const timer = setTimeout(() => {
      closeWs();
      notOpened({});
    }, timeoutMs);
    ws.onopen = () => {
      open = true;
      clearTimeout(timer);
      resolve(socket);
    };
    ws.onclose = ({ code, reason }) => {
      clearTimeout(timer);
      // Before the open event: it never opened.
      if (!open) return notOpened({ status: code });
      shutDown(new GuestChatError(closeReason(code), `Socket closed (${code})`, { status: code }));
      detach();
      on.closed({ code, reason: reason || undefined });
    };
    ws.onmessage = ({ data }) => {
      let frame;
      try {
        frame = parseFrame(data);
      } catch (error) {
        on.protocolError(error as GuestChatError);
        return;
      }
      if (frame?.kind === 'notification') on.notification(frame);
      // Not ours, or too late: ignored.
      else if (frame) pending.get(frame.reqId)?.(frame);
    };
  });
}
