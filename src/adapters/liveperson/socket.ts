/**
 * Request/response over the Messaging Window WebSocket (contract §5.2): increasing decimal
 * request ids, correlation on `kind` + `reqId` only, and a dead-socket rule — a request without
 * an answer in 15 s closes the socket and reports it. Knows nothing of conversations.
 */
import { GuestChatError } from '../../errors.ts';
import { AUTH_CLOSE_CODES, NORMAL_CLOSE, parseFrame, requestFrame, type NotificationFrame, type RequestFrame, type ResponseFrame } from './protocol.ts';

/** The part of the browser WebSocket this module uses (a test passes a fake). */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface SocketOptions {
  /** No answer within this = dead socket. */
  requestTimeoutMs: number;
  /** The socket must open within this. */
  openTimeoutMs: number;
}

export interface SocketClosed {
  /** Close code from the server; undefined when we gave up on a silent socket. */
  code: number | undefined;
  reason: string | undefined;
}

interface Pending {
  resolve: (response: ResponseFrame) => void;
  reject: (error: GuestChatError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class LpSocket {
  readonly #ws: WebSocketLike;
  readonly #options: SocketOptions;

  /** Every notification, in arrival order. */
  onNotification: (frame: NotificationFrame) => void = () => {};
  /** A frame that could not be read (it was ignored). */
  onProtocolError: (error: GuestChatError) => void = () => {};
  /** The socket ended other than by our own `close()`. Called at most once. */
  onClosed: (closed: SocketClosed) => void = () => {};

  #nextId = 1;
  readonly #pending = new Map<string, Pending>();
  #open = true;

  private constructor(ws: WebSocketLike, options: SocketOptions) {
    this.#ws = ws;
    this.#options = options;
  }

  /** Open a socket; rejects with `network` when it does not open. */
  static connect(url: string, createSocket: WebSocketFactory, options: SocketOptions): Promise<LpSocket> {
    return new Promise((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = createSocket(url);
      } catch (cause) {
        reject(new GuestChatError('network', 'Could not open the messaging socket', { cause }));
        return;
      }
      const socket = new LpSocket(ws, options);
      let opened = false;
      const timer = setTimeout(() => {
        socket.#detach();
        try {
          ws.close(NORMAL_CLOSE);
        } catch {
          // already closing
        }
        reject(new GuestChatError('network', 'The messaging socket did not open in time'));
      }, options.openTimeoutMs);
      ws.onerror = () => {}; // a close event always follows an error
      ws.onopen = () => {
        opened = true;
        clearTimeout(timer);
        resolve(socket);
      };
      ws.onclose = (event) => {
        if (opened) {
          socket.#handleClose(event.code, event.reason);
          return;
        }
        clearTimeout(timer);
        socket.#open = false;
        reject(new GuestChatError('network', 'The messaging socket could not be opened', { status: event.code }));
      };
      ws.onmessage = (event) => socket.#handleMessage(event.data);
    });
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Take the next request id (for frames built elsewhere, e.g. InitConnection). */
  takeId(): string {
    return String(this.#nextId++);
  }

  request(type: string, body?: unknown, metadata?: unknown[]): Promise<ResponseFrame> {
    return this.send(requestFrame(this.takeId(), type, body, metadata));
  }

  /** Send a built request frame and wait for its response. */
  send(frame: RequestFrame): Promise<ResponseFrame> {
    if (!this.#open) return Promise.reject(new GuestChatError('connection-lost', 'The messaging socket is closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(frame.id);
        reject(new GuestChatError('connection-lost', `No answer to ${frame.type} in time`));
        this.#giveUp();
      }, this.#options.requestTimeoutMs);
      this.#pending.set(frame.id, { resolve, reject, timer });
      try {
        this.#ws.send(JSON.stringify(frame));
      } catch (cause) {
        clearTimeout(timer);
        this.#pending.delete(frame.id);
        reject(new GuestChatError('connection-lost', 'The messaging socket refused a frame', { cause }));
      }
    });
  }

  /** Our own close: code 1000, no `onClosed`. */
  close(): void {
    if (!this.#open) return;
    this.#shutDown(new GuestChatError('connection-lost', 'The messaging socket was closed'));
    this.#detach();
    try {
      this.#ws.close(NORMAL_CLOSE);
    } catch {
      // already closing
    }
  }

  #detach(): void {
    this.#ws.onopen = null;
    this.#ws.onmessage = null;
    this.#ws.onclose = null;
    this.#ws.onerror = null;
  }

  #shutDown(error: GuestChatError): void {
    this.#open = false;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.#pending.delete(id);
    }
  }

  /** A silent socket: close it ourselves, and report it as ended. */
  #giveUp(): void {
    if (!this.#open) return;
    this.close();
    this.onClosed({ code: undefined, reason: 'no-response' });
  }

  #handleClose(code: number, reason: string): void {
    if (!this.#open) return;
    const auth = AUTH_CLOSE_CODES.has(code);
    this.#shutDown(
      new GuestChatError(auth ? 'auth-rejected' : 'connection-lost', `The messaging socket closed (${code})`, { status: code }),
    );
    this.#detach();
    this.onClosed({ code, reason: reason.length > 0 ? reason : undefined });
  }

  #handleMessage(data: unknown): void {
    if (!this.#open) return;
    let frame;
    try {
      frame = parseFrame(data);
    } catch (error) {
      this.onProtocolError(error as GuestChatError);
      return;
    }
    if (frame.kind === 'resp') {
      const pending = this.#pending.get(frame.reqId);
      if (pending === undefined) return; // not ours, or too late
      this.#pending.delete(frame.reqId);
      clearTimeout(pending.timer);
      pending.resolve(frame);
    } else if (frame.kind === 'notification') {
      this.onNotification(frame);
    }
  }
}
