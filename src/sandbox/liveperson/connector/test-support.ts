/**
 * Test helpers for the Connector API emulation: a server-side client (AppJWT, ConsumerJWS, REST)
 * and a local webhook endpoint that records raw requests. Test-only.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCOUNT } from '../../test-support.ts';

export const CLIENT_ID = 'guestchat-broker';
export const CLIENT_SECRET = 'sandbox-secret';

export class ConnectorClient {
  constructor(readonly base: string) {}

  async tokenResponse(form: Record<string, string>, contentType = 'application/x-www-form-urlencoded', query = 'v=1.0&grant_type=client_credentials'): Promise<Response> {
    return fetch(`${this.base}/sentinel/api/account/${ACCOUNT}/app/token?${query}`, {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body: new URLSearchParams(form).toString(),
    });
  }

  async appJwt(clientId = CLIENT_ID, clientSecret = CLIENT_SECRET): Promise<string> {
    const res = await this.tokenResponse({ client_id: clientId, client_secret: clientSecret });
    if (res.status !== 200) throw new Error(`app token ${res.status}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  async consumerJwsResponse(appJwt: string | undefined, body: unknown, query = 'v=1.0'): Promise<Response> {
    return fetch(`${this.base}/api/account/${ACCOUNT}/consumer?${query}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(appJwt === undefined ? {} : { Authorization: appJwt }) },
      body: JSON.stringify(body),
    });
  }

  async consumerJws(appJwt: string, extConsumerId: string): Promise<string> {
    const res = await this.consumerJwsResponse(appJwt, { ext_consumer_id: extConsumerId });
    if (res.status !== 201) throw new Error(`consumer JWS ${res.status}`);
    return ((await res.json()) as { token: string }).token;
  }

  async rest(path: '' | '/send', auth: { appJwt?: string; consumerJws?: string }, body: unknown, extra: Record<string, string> = {}, query = 'v=3'): Promise<Response> {
    return fetch(`${this.base}/api/account/${ACCOUNT}/messaging/consumer/conversation${path}?${query}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(auth.appJwt === undefined ? {} : { Authorization: auth.appJwt }),
        ...(auth.consumerJws === undefined ? {} : { 'X-LP-ON-BEHALF': auth.consumerJws }),
        ...extra,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  createBody(brandId: string | null = ACCOUNT): unknown[] {
    return [
      { kind: 'req', id: '1,', type: 'userprofile.SetUserProfile', body: {} },
      { kind: 'req', id: '2,', type: 'cm.ConsumerRequestConversation', body: brandId === null ? {} : { brandId } },
    ];
  }

  /** AppJWT + ConsumerJWS + a new conversation. */
  async conversation(extConsumerId: string): Promise<{ appJwt: string; consumerJws: string; conversationId: string }> {
    const appJwt = await this.appJwt();
    const consumerJws = await this.consumerJws(appJwt, extConsumerId);
    const res = await this.rest('', { appJwt, consumerJws }, this.createBody());
    if (res.status !== 200) throw new Error(`create ${res.status} ${await res.text()}`);
    const entries = (await res.json()) as { body: { conversationId: string } }[];
    return { appJwt, consumerJws, conversationId: entries[1]?.body.conversationId ?? '' };
  }

  async sendText(auth: { appJwt: string; consumerJws: string }, conversationId: string, message: string): Promise<Response> {
    return this.rest('/send', auth, {
      kind: 'req',
      id: '1',
      type: 'ms.PublishEvent',
      body: { dialogId: conversationId, event: { type: 'ContentEvent', contentType: 'text/plain', message } },
    });
  }
}

export interface ReceivedHook {
  headers: IncomingMessage['headers'];
  raw: Buffer;
  body: any;
  path: string;
}

/** A local webhook endpoint: records every request; answers the queued statuses, then 200. */
export class HookServer {
  readonly received: ReceivedHook[] = [];
  private statuses: number[] = [];
  private waiters: (() => void)[] = [];
  private readonly server: Server;
  url = '';

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        this.received.push({ headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')), path: req.url ?? '' });
        res.statusCode = this.statuses.shift() ?? 200;
        res.end('ok');
        for (const w of this.waiters.splice(0)) w();
      });
    });
  }

  static async start(): Promise<HookServer> {
    const hooks = new HookServer();
    await new Promise<void>((resolve) => hooks.server.listen(0, '127.0.0.1', resolve));
    hooks.url = `http://127.0.0.1:${(hooks.server.address() as AddressInfo).port}`;
    return hooks;
  }

  /** The next requests answer these statuses. */
  answer(...statuses: number[]): void {
    this.statuses.push(...statuses);
  }

  clear(): void {
    this.received.length = 0;
    this.statuses = [];
  }

  /** Waits until `count` requests matching `match` arrived; returns them. */
  async waitFor(match: (hook: ReceivedHook) => boolean, count = 1, timeoutMs = 3000): Promise<ReceivedHook[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.filter(match);
      if (found.length >= count) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} matching webhook(s), got ${found.length}: ${JSON.stringify(this.received.map((r) => r.body))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** The change of a webhook body (one change per request). */
export const changeOf = (hook: ReceivedHook): any => hook.body?.body?.changes?.[0];
export const isUpsert = (hook: ReceivedHook): boolean => hook.body.type === 'cqm.ExConversationChangeNotification';
export const isContent = (text: string) => (hook: ReceivedHook): boolean =>
  hook.body.type === 'ms.MessagingEventNotification' && changeOf(hook)?.event?.type === 'ContentEvent' && changeOf(hook)?.event?.message === text;
