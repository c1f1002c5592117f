/**
 * Helpers for the sandbox's own tests: start a sandbox on a free port with throwaway keys, drive
 * the LivePerson flow like a client, and read socket frames in order. Test-only; not exported by
 * index.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import WebSocket from 'ws';
import { startSandbox, type RunningSandbox } from './index.ts';

export const ACCOUNT = '12345678';
export const CONNECTOR = 'guestchat-unauth';

export type Frame = { kind: string; reqId?: string; code?: number; type?: string; body?: any };

export const tempKeysDir = (): string => mkdtempSync(join(tmpdir(), 'guestchat-sandbox-'));

export async function startTestSandbox(keysDir = tempKeysDir()): Promise<RunningSandbox> {
  return startSandbox({ port: 0, quiet: true, keysDir });
}

/**
 * The lifecycle the sandbox's test files share: one sandbox per file, reset before each test,
 * and what a test opened (sockets, streams, connections: push them onto `opened`) closed after
 * it. `onStart` receives the running sandbox, to make the file's clients.
 */
export function useTestSandbox(onStart: (sandbox: RunningSandbox) => void, opened: { close(): unknown }[] = []): void {
  let sandbox: RunningSandbox | undefined;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
    onStart(sandbox);
  });
  afterAll(() => sandbox?.close());
  beforeEach(async () => {
    await postJson(`${sandbox!.url}/admin/reset`);
  });
  afterEach(() => {
    for (const item of opened.splice(0)) item.close();
  });
}

export async function postJson(url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, any> } {
  const [h = '', p = ''] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, any>,
  };
}

export class LpClient {
  constructor(readonly base: string) {}

  async issue(): Promise<string> {
    const res = await postJson(`${this.base}/api/account/${ACCOUNT}/anonymous/authorize`);
    if (res.status !== 200) throw new Error(`issue ${res.status}`);
    return ((await res.json()) as { token: string }).token;
  }

  async refresh(idToken: string): Promise<Response> {
    return postJson(`${this.base}/api/account/${ACCOUNT}/anonymous/authorize`, { id_token: idToken });
  }

  async authenticate(idToken: string): Promise<Response> {
    return postJson(`${this.base}/api/account/${ACCOUNT}/app/${CONNECTOR}/authenticate?v=3.0`, { id_token: idToken });
  }

  /** issue → authenticate → consumer JWT. */
  async consumerJwt(): Promise<{ jwt: string; external: string; sub: string }> {
    const external = await this.issue();
    const res = await this.authenticate(external);
    const jwt = ((await res.json()) as { token: string }).token;
    return { jwt, external, sub: decodeJwt(jwt).payload.sub as string };
  }

  socketUrl(account = ACCOUNT): string {
    return `${this.base.replace(/^http/, 'ws')}/ws_api/account/${account}/messaging/consumer?v=3`;
  }
}

export class TestSocket {
  /** Every frame received, in order. */
  readonly log: Frame[] = [];
  private unread: Frame[] = [];
  private waiters: (() => void)[] = [];
  private nextId = 1;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      this.log.push(frame);
      this.unread.push(frame);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(url: string): Promise<TestSocket> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new TestSocket(ws);
  }

  /** Opens a socket and completes InitConnection. */
  static async connect(client: LpClient, jwt: string): Promise<TestSocket> {
    const socket = await TestSocket.open(client.socketUrl());
    const resp = await socket.request('InitConnection', undefined, {
      headers: [
        { type: '.ams.headers.ClientProperties', deviceFamily: 'DESKTOP', os: 'LINUX', features: ['RICH_CONTENT', 'QUICK_REPLIES'] },
        { type: '.ams.headers.ConsumerAuthentication', jwt },
      ],
    });
    if (resp.code !== 200) throw new Error(`InitConnection ${resp.code}`);
    return socket;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a request; returns its id. */
  sendRequest(type: string, body?: unknown, extra: Record<string, unknown> = {}): string {
    const id = String(this.nextId++);
    this.send({ kind: 'req', id, type, ...(body === undefined ? {} : { body }), ...extra });
    return id;
  }

  async request(type: string, body?: unknown, extra: Record<string, unknown> = {}): Promise<Frame> {
    const id = this.sendRequest(type, body, extra);
    return this.next((f) => f.kind === 'resp' && f.reqId === id);
  }

  /** The first unread frame matching `match` (waits for it). */
  async next(match: (frame: Frame) => boolean = () => true, timeoutMs = 2000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.unread.findIndex(match);
      if (index >= 0) return this.unread.splice(index, 1)[0] as Frame;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.unread)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async notification(type: string, timeoutMs = 2000): Promise<Frame> {
    return this.next((f) => f.kind === 'notification' && f.type === type, timeoutMs);
  }

  /** Asserts nothing matching arrives within `ms`. */
  async nothing(match: (frame: Frame) => boolean, ms = 200): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return !this.unread.some(match);
  }

  close(): void {
    this.ws.close();
  }
}
