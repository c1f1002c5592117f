/**
 * The browser-facing API (README: "Browser API"). Every route but `POST /v1/visitors` takes
 * `Authorization: Bearer <visitorToken>`. Answers are JSON; failures are
 * `{ error: { code, message } }`. No answer ever carries the AppJWT, a ConsumerJWS or the secret.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Conversations } from './conversations.ts';
import { BrokerError, LivePersonError, scrub, toBrowserError } from './errors.ts';
import { EXTERNAL_ID_PREFIX } from './normalize.ts';
import { bearerToken, clientAddress, readJsonObject, sendJson, sendNoContent } from './http.ts';
import type { LivePerson } from './liveperson.ts';
import type { Store } from './store.ts';
import type { VisitorTokens } from './visitor-tokens.ts';

export interface RateLimit {
  /** Requests allowed per period (and burst). */
  capacity: number;
  periodMs: number;
}

export const DEFAULT_ISSUE_LIMIT: RateLimit = { capacity: 10, periodMs: 60_000 };
export const DEFAULT_REFRESH_LIMIT: RateLimit = { capacity: 30, periodMs: 60_000 };

/** How long a published clientId is remembered (a resend within it gets the stored answer). */
export const SENT_TTL_MS = 24 * 60 * 60 * 1000;
/** A publish in flight holds its clientId this long at most. */
const PENDING_TTL_MS = 30_000;
const PENDING_WAIT_MS = 10_000;
const MAX_TEXT_LENGTH = 10_000;
/** ExternalId ids are ≤ 64 characters, "guestchat:" included. */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,54}$/;

export interface SendResult {
  id: string;
  sequence: number;
  conversationId: string;
  at: number;
}

export interface ApiOptions {
  tokens: VisitorTokens;
  store: Store;
  conversations: Conversations;
  lp: LivePerson;
  skillId?: string;
  trustProxy: number;
  issueLimit: RateLimit;
  refreshLimit: RateLimit;
  now: () => number;
  /** Strings that must never appear in an answer (the client secret). */
  secrets: string[];
  log: (line: string) => void;
}

export class BrowserApi {
  constructor(private readonly o: ApiOptions) {}

  private async limit(req: IncomingMessage, bucket: string, limit: RateLimit): Promise<void> {
    const address = clientAddress(req, this.o.trustProxy);
    const result = await this.o.store.take(`rl:${bucket}:${address}`, limit.capacity, limit.periodMs);
    if (!result.allowed) {
      throw new BrokerError(429, 'rate-limited', 'Too many requests from this address; retry later', Math.ceil(result.retryAfterMs / 1000));
    }
  }

  /** POST /v1/visitors */
  async issueVisitor(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await this.limit(req, 'issue', this.o.issueLimit);
    sendJson(res, 201, await this.o.tokens.issue());
  }

  /** POST /v1/visitors/refresh */
  async refreshVisitor(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await this.limit(req, 'refresh', this.o.refreshLimit);
    sendJson(res, 200, await this.o.tokens.refresh(bearerToken(req)));
  }

  async visitor(req: IncomingMessage): Promise<string> {
    return (await this.o.tokens.verify(bearerToken(req))).visitorId;
  }

  /** GET /v1/conversations/open */
  async openConversation(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const visitorId = await this.visitor(req);
    sendJson(res, 200, { conversationId: (await this.o.conversations.openOf(visitorId)) ?? null });
  }

  /** POST /v1/conversations: the open one if the visitor has one, else a new one. */
  async createConversation(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const visitorId = await this.visitor(req);
    await readJsonObject(req);
    const open = await this.o.conversations.openOf(visitorId);
    if (open) return sendJson(res, 200, { conversationId: open, created: false });
    let conversationId: string;
    try {
      conversationId = await this.o.lp.createConversation(visitorId, this.o.skillId);
    } catch (error) {
      // LivePerson refuses a second open conversation; the cqm webhook may have told us of it since.
      const again = error instanceof LivePersonError && error.status === 400 ? await this.o.conversations.openOf(visitorId) : undefined;
      if (again) return sendJson(res, 200, { conversationId: again, created: false });
      if (error instanceof LivePersonError && error.status === 400 && /open conversation/i.test(error.message)) {
        throw new BrokerError(409, 'conversation-already-open', 'LivePerson holds an open conversation for this visitor that the broker does not know');
      }
      throw this.browserError(error);
    }
    await this.o.conversations.created(conversationId, visitorId);
    sendJson(res, 201, { conversationId, created: true });
  }

  /** The conversation, if it is this visitor's; 404 otherwise (whether or not it exists). */
  private async owned(visitorId: string, conversationId: string, mustBeOpen: boolean): Promise<void> {
    const record = await this.o.conversations.get(conversationId);
    if (!record || record.visitorId !== visitorId) throw new BrokerError(404, 'not-found', 'No such conversation');
    if (mustBeOpen && record.state !== 'OPEN') throw new BrokerError(409, 'conversation-closed', 'The conversation is closed; create a new one');
  }

  /** POST /v1/conversations/{id}/messages {text, clientId}: exactly once per clientId. */
  async sendMessage(req: IncomingMessage, res: ServerResponse, conversationId: string): Promise<void> {
    const visitorId = await this.visitor(req);
    const body = await readJsonObject(req);
    const { text, clientId } = body;
    if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT_LENGTH) {
      throw new BrokerError(400, 'bad-request', `text must be a non-empty string of at most ${MAX_TEXT_LENGTH} characters`);
    }
    if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) {
      throw new BrokerError(400, 'bad-request', 'clientId must be 1-54 characters of A-Z a-z 0-9 . _ : -');
    }
    await this.owned(visitorId, conversationId, false);
    const key = `sent:${visitorId}:${clientId}`;
    const stored = await this.awaitStored(key);
    if (stored) return sendJson(res, 200, stored);
    await this.owned(visitorId, conversationId, true);
    if (!(await this.o.store.setIfAbsent(key, 'pending', PENDING_TTL_MS))) {
      const late = await this.awaitStored(key);
      if (late) return sendJson(res, 200, late);
      throw new BrokerError(409, 'send-in-progress', 'This clientId is being sent; retry shortly', 1);
    }
    let result: SendResult;
    try {
      const reply = await this.o.lp.send(
        visitorId,
        'ms.PublishEvent',
        { dialogId: conversationId, conversationId, event: { type: 'ContentEvent', contentType: 'text/plain', message: text } },
        [{ type: 'ExternalId', id: EXTERNAL_ID_PREFIX + clientId }],
      );
      const sequence = typeof reply['sequence'] === 'number' ? reply['sequence'] : Number(reply['sequence']);
      if (!Number.isInteger(sequence)) throw new LivePersonError(502, 'LivePerson answered the publish without a sequence');
      result = { id: `${conversationId}:${sequence}`, sequence, conversationId, at: this.o.now() };
    } catch (error) {
      // Not stored (as far as we know): a resend may try again.
      await this.o.store.del(key);
      throw this.browserError(error);
    }
    await this.o.store.set(key, JSON.stringify(result), SENT_TTL_MS);
    sendJson(res, 200, result);
  }

  /** The stored answer of a clientId; waits a little while another request is publishing it. */
  private async awaitStored(key: string): Promise<SendResult | undefined> {
    const deadline = Date.now() + PENDING_WAIT_MS;
    for (;;) {
      const value = await this.o.store.get(key);
      if (value === undefined) return undefined;
      if (value !== 'pending') return JSON.parse(value) as SendResult;
      if (Date.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** POST /v1/conversations/{id}/typing {on} */
  async typing(req: IncomingMessage, res: ServerResponse, conversationId: string): Promise<void> {
    const visitorId = await this.visitor(req);
    const { on } = await readJsonObject(req);
    if (typeof on !== 'boolean') throw new BrokerError(400, 'bad-request', 'on must be a boolean');
    await this.owned(visitorId, conversationId, true);
    await this.relay(visitorId, 'ms.PublishEvent', {
      dialogId: conversationId,
      conversationId,
      event: { type: 'ChatStateEvent', chatState: on ? 'COMPOSING' : 'ACTIVE' },
    });
    sendNoContent(res);
  }

  /** POST /v1/conversations/{id}/read {sequences, status?: "read"|"delivered"} */
  async read(req: IncomingMessage, res: ServerResponse, conversationId: string): Promise<void> {
    const visitorId = await this.visitor(req);
    const { sequences, status = 'read' } = await readJsonObject(req);
    if (!Array.isArray(sequences) || sequences.length === 0 || sequences.length > 500 || !sequences.every((s) => Number.isInteger(s) && (s as number) >= 0)) {
      throw new BrokerError(400, 'bad-request', 'sequences must be a non-empty array of message sequences');
    }
    if (status !== 'read' && status !== 'delivered') throw new BrokerError(400, 'bad-request', 'status must be "read" or "delivered"');
    await this.owned(visitorId, conversationId, true);
    await this.relay(visitorId, 'ms.PublishEvent', {
      dialogId: conversationId,
      conversationId,
      event: { type: 'AcceptStatusEvent', status: status === 'read' ? 'READ' : 'ACCEPT', sequenceList: sequences },
    });
    sendNoContent(res);
  }

  /** POST /v1/conversations/{id}/close */
  async close(req: IncomingMessage, res: ServerResponse, conversationId: string): Promise<void> {
    const visitorId = await this.visitor(req);
    await this.owned(visitorId, conversationId, false);
    const record = await this.o.conversations.get(conversationId);
    if (record?.state === 'OPEN') {
      await this.relay(visitorId, 'cm.UpdateConversationField', {
        conversationId,
        conversationField: [{ field: 'ConversationStateField', conversationState: 'CLOSE' }],
      });
      await this.o.conversations.apply(conversationId, visitorId, 'CLOSE');
    }
    sendNoContent(res);
  }

  private async relay(visitorId: string, type: string, body: Record<string, unknown>): Promise<void> {
    try {
      await this.o.lp.send(visitorId, type, body);
    } catch (error) {
      throw this.browserError(error);
    }
  }

  private browserError(error: unknown): BrokerError {
    if (!(error instanceof BrokerError)) this.o.log(`LivePerson call failed: ${scrub(error instanceof Error ? `${error.name} ${error.message}` : String(error), this.o.secrets)}`);
    return toBrowserError(error, this.o.secrets);
  }
}
