/**
 * The LivePerson face of the sandbox: Domain API, IdP, agent profile and the consumer Messaging
 * Window WebSocket, all on the sandbox's one origin.
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { SandboxContext } from '../context.ts';
import { delay, retryAfterHeader } from '../faults.ts';
import { isRecord, readJson, sendJson, type Router } from '../http.ts';
import { addDomainRoutes } from './domain.ts';
import { addIdpRoutes } from './idp.ts';
import { addProfileRoutes } from './profile.ts';
import { CLOSE_AUTH, LpConnection } from './socket.ts';
import { LivePersonTokens } from './tokens.ts';

export { LP_SERVICES } from './domain.ts';
export { LivePersonTokens, consumerIdFor, type IdentityRecord } from './tokens.ts';

const SOCKET_PATH = /^\/ws_api\/account\/([^/]+)\/messaging\/consumer$/;

/** [SB] A sandbox reset is a restart to the client: live sockets end with 1012 (service restart). */
const CLOSE_RESET = 1012;

export class LivePersonFace {
  readonly tokens: LivePersonTokens;
  private readonly connections = new Set<LpConnection>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  constructor(readonly sandbox: SandboxContext) {
    this.tokens = new LivePersonTokens(sandbox);
    sandbox.core.subscribe((change) => {
      for (const connection of [...this.connections]) connection.onCoreChange(change);
    });
    sandbox.onReset(() => this.drop(CLOSE_RESET));
  }

  addRoutes(router: Router): void {
    addDomainRoutes(router, this.sandbox);
    addIdpRoutes(router, this.sandbox, this.tokens);
    addProfileRoutes(router, this.sandbox);
    // Admin: `POST /admin/lp/emit { frame: string, consumerId? }` writes the text as one frame to
    // every initialized consumer socket (of one consumer, if named): a malformed frame, or a
    // notification type the widget does not know. Answers how many sockets got it.
    router.add('POST', /^\/admin\/lp\/emit$/, async ({ req, res }) => {
      const parsed = await readJson(req);
      const body = parsed.ok && !parsed.empty ? parsed.value : undefined;
      if (!isRecord(body) || typeof body.frame !== 'string') return sendJson(res, 400, { error: 'body must be { frame: string, consumerId?: string }' });
      const { frame, consumerId } = body;
      if (consumerId !== undefined && typeof consumerId !== 'string') return sendJson(res, 400, { error: 'consumerId must be a string' });
      let sent = 0;
      for (const connection of [...this.connections]) {
        if (consumerId !== undefined && connection.consumerId !== consumerId) continue;
        if (connection.sendRaw(frame)) sent++;
      }
      sendJson(res, 200, { sent });
    });
  }

  /** Takes an HTTP upgrade if it is for the consumer socket path; returns false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean {
    const match = SOCKET_PATH.exec(url.pathname);
    if (!match) return false;
    const account = decodeURIComponent(match[1] ?? '');
    void this.upgrade(req, socket, head, url, account);
    return true;
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, account: string): Promise<void> {
    this.sandbox.calls.count('lp.ws.connect');
    const fault = this.sandbox.faults.take('lp.ws.connect');
    if (fault?.delayMs) await delay(fault.delayMs);
    if (fault?.status !== undefined) return rejectUpgrade(socket, fault.status, 'Injected fault', fault.retryAfterSec);
    if (url.searchParams.get('v') !== '3') return rejectUpgrade(socket, 400, 'Missing or unsupported v (expected 3)');
    const authorization = req.headers.authorization;
    const headerJwt = authorization ? /^jwt\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new LpConnection(ws, account, {
        sandbox: this.sandbox,
        tokens: this.tokens,
        forget: (c) => this.connections.delete(c),
      }, headerJwt);
      this.connections.add(connection);
      if (fault?.closeCode !== undefined) connection.close(fault.closeCode, 'Injected fault');
    });
  }

  /** Ends every live socket with `closeCode`, or without a close frame when none is given. */
  drop(closeCode?: number): number {
    const live = [...this.connections];
    for (const connection of live) connection.close(closeCode, 'Dropped by the sandbox');
    return live.length;
  }

  /** Revokes identities (one, or all) and closes their live sockets with 4401. */
  revoke(subject?: string): string[] {
    const subjects = this.tokens.revoke(subject);
    for (const connection of [...this.connections]) {
      if (connection.consumerId !== undefined && subjects.includes(connection.consumerId)) connection.close(CLOSE_AUTH, 'Token revoked');
    }
    return subjects;
  }

  get liveSockets(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

function rejectUpgrade(socket: Duplex, status: number, message: string, retryAfterSec?: number): void {
  const body = JSON.stringify({ error: message });
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(retryAfterHeader({ status, retryAfterSec })).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}
