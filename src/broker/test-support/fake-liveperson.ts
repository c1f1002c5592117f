/**
 * Test-only: a small stand-in for LivePerson's Connector API (Domain API, Sentinel, ConsumerJWS,
 * REST create/send) that records calls, can reject the AppJWTs it issued (40102), and signs
 * webhooks to a broker. The broker's unit tests use it so they do not depend on the sandbox;
 * sandbox.test.ts runs the same flow against the real sandbox.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_ACCOUNT = '12345678';
export const FAKE_CLIENT_ID = 'guestchat-broker';
export const FAKE_SECRET = 'sandbox-secret';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
export const fakeJwt = (payload: Record<string, unknown>): string => `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}.${randomUUID().replace(/-/g, '')}`;

export interface FakeCall {
  path: string;
  authorization?: string;
  onBehalf?: string;
  body: unknown;
}

export class FakeLivePerson {
  private server: Server | undefined;
  url = '';
  readonly calls: FakeCall[] = [];
  sentinelCalls = 0;
  /** AppJWTs that LivePerson no longer accepts. */
  private readonly rejected = new Set<string>();
  private readonly appJwts = new Set<string>();
  private readonly consumerJws = new Map<string, string>(); // token -> lp consumer id
  readonly conversations = new Map<string, { consumer: string; seq: number; open: boolean }>();
  /** Milliseconds to hold each Sentinel answer (to pile up concurrent renewals). */
  sentinelDelayMs = 0;
  appJwtLifetimeSec = 3600;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Every AppJWT issued so far is refused from now on (as after LivePerson's expiry). */
  expireAppJwts(): void {
    for (const token of this.appJwts) this.rejected.add(token);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const errorResp = (status: number, errorCode: number): void =>
      send(status, { kind: 'resp', code: status, type: '.ReqBody$ErrorResp', body: { title: 'Unauthorized', details: 'refused', errorCode } });
    const domain = /^\/api\/account\/(\d+)\/service\/([^/]+)\/baseURI\.json$/.exec(url.pathname);
    if (domain) {
      if (domain[1] !== FAKE_ACCOUNT) return send(401, { error: 'Invalid account' });
      return send(200, { service: domain[2], account: domain[1], baseURI: url.host });
    }
    const body: unknown = text && (req.headers['content-type'] ?? '').includes('json') ? JSON.parse(text) : text;
    const call: FakeCall = { path: url.pathname, body };
    if (req.headers.authorization) call.authorization = req.headers.authorization;
    const onBehalf = req.headers['x-lp-on-behalf'];
    if (typeof onBehalf === 'string') call.onBehalf = onBehalf;
    this.calls.push(call);

    if (url.pathname === `/sentinel/api/account/${FAKE_ACCOUNT}/app/token`) {
      this.sentinelCalls += 1;
      if (this.sentinelDelayMs) await new Promise((resolve) => setTimeout(resolve, this.sentinelDelayMs));
      const form = new URLSearchParams(text);
      if (form.get('client_id') !== FAKE_CLIENT_ID || form.get('client_secret') !== FAKE_SECRET) {
        return send(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
      }
      const iat = Math.floor(Date.now() / 1000);
      const token = fakeJwt({ aud: FAKE_ACCOUNT, azp: FAKE_CLIENT_ID, scope: 'msg.consumer', iss: 'Sentinel', iat, exp: iat + this.appJwtLifetimeSec });
      this.appJwts.add(token);
      return send(200, { access_token: token, token_type: 'Bearer' });
    }
    const appJwt = req.headers.authorization;
    if (!appJwt) return errorResp(401, 40105);
    if (!this.appJwts.has(appJwt) || this.rejected.has(appJwt)) return errorResp(401, 40102);

    if (url.pathname === `/api/account/${FAKE_ACCOUNT}/consumer`) {
      const ext = (body as { ext_consumer_id?: string }).ext_consumer_id ?? '';
      const lpConsumerId = `lp-${ext}`;
      const iat = Math.floor(Date.now() / 1000);
      const token = fakeJwt({ account_id: FAKE_ACCOUNT, ext_consumer_id: ext, lp_consumer_id: lpConsumerId, iat, exp: iat + 86400 });
      this.consumerJws.set(token, lpConsumerId);
      return send(201, { token });
    }
    const consumer = typeof onBehalf === 'string' ? this.consumerJws.get(onBehalf) : undefined;
    if (!onBehalf) return errorResp(401, 40104);
    if (!consumer) return errorResp(401, 40103);

    if (url.pathname === `/api/account/${FAKE_ACCOUNT}/messaging/consumer/conversation`) {
      const open = [...this.conversations.values()].some((c) => c.consumer === consumer && c.open);
      if (open) return send(400, [{ code: 'OK', body: { msg: 'OK' }, reqId: '1' }, { code: 'BAD_REQUEST', body: { msg: 'Consumer already has an open conversation' }, reqId: '2' }]);
      const id = `conv-${randomUUID()}`;
      this.conversations.set(id, { consumer, seq: 0, open: true });
      return send(200, [{ code: 'OK', body: { msg: 'OK' }, reqId: '1,' }, { code: 'OK', body: { conversationId: id }, reqId: '2,' }]);
    }
    if (url.pathname === `/api/account/${FAKE_ACCOUNT}/messaging/consumer/conversation/send`) {
      const request = body as { type: string; body: { dialogId?: string; conversationId?: string; event?: { type?: string } } };
      const id = request.body.dialogId ?? request.body.conversationId ?? '';
      const conversation = this.conversations.get(id);
      if (!conversation || conversation.consumer !== consumer) return send(404, { reqId: '1', code: 'NOT_FOUND', body: { msg: 'Unknown dialog' } });
      if (request.type === 'cm.UpdateConversationField') {
        conversation.open = false;
        return send(200, { reqId: '1', code: 'OK', body: { msg: 'OK Conversation resolved successfully' } });
      }
      if (request.body.event?.type === 'ChatStateEvent') return send(200, { reqId: '1', code: 'OK', body: { sequence: 0 } });
      const sequence = conversation.seq++;
      return send(200, { reqId: '1', code: 'OK', body: { sequence } });
    }
    send(404, { error: 'not found' });
  }

  /** Post a webhook to `endpoint`, signed like LivePerson (or not, with `signature`). */
  static async deliver(
    endpoint: string,
    notification: unknown,
    options: { secret?: string; signature?: string; clientId?: string; account?: string; algorithm?: 'sha1' | 'sha256'; encoding?: 'base64' | 'hex' } = {},
  ): Promise<Response> {
    const body = Buffer.from(JSON.stringify(notification), 'utf8');
    const algorithm = options.algorithm ?? 'sha1';
    const signature =
      options.signature ?? `${algorithm}=${createHmac(algorithm, options.secret ?? FAKE_SECRET).update(body).digest(options.encoding ?? 'base64')}`;
    return fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-liveperson-account-id': options.account ?? FAKE_ACCOUNT,
        'x-liveperson-client-id': options.clientId ?? FAKE_CLIENT_ID,
        'x-liveperson-signature': signature,
      },
      body,
    });
  }
}

export function agentMessage(conversationId: string, sequence: number, text: string, agentId = 'agent-1'): unknown {
  return {
    kind: 'notification',
    type: 'ms.MessagingEventNotification',
    body: {
      changes: [
        {
          sequence,
          originatorId: agentId,
          originatorMetadata: { id: agentId, role: 'ASSIGNED_AGENT' },
          serverTimestamp: 1_700_000_000_000 + sequence,
          event: { type: 'ContentEvent', contentType: 'text/plain', message: text },
          conversationId,
          dialogId: conversationId,
        },
      ],
    },
  };
}

export function cqmChange(conversationId: string, consumerId: string, state: 'OPEN' | 'CLOSE', updatedAt: number, agentId?: string): unknown {
  const participants = [{ id: consumerId, role: 'CONSUMER' }, ...(agentId ? [{ id: agentId, role: 'ASSIGNED_AGENT' }] : [])];
  return {
    kind: 'notification',
    type: 'cqm.ExConversationChangeNotification',
    body: {
      changes: [
        {
          type: 'UPSERT',
          result: {
            convId: conversationId,
            conversationDetails: {
              brandId: FAKE_ACCOUNT,
              state,
              stage: state,
              ...(state === 'CLOSE' ? { closeReason: 'AGENT', endTs: updatedAt } : {}),
              startTs: 1_700_000_000_000,
              metaDataLastUpdateTs: updatedAt,
              participants,
              dialogs: [{ dialogId: conversationId, dialogType: 'MAIN', state }],
            },
          },
        },
      ],
    },
  };
}
