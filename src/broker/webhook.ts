/**
 * `POST /v1/webhooks/liveperson`: LivePerson's deliveries of consumer-side events (contract
 * §4.1). The signature is checked on the raw bytes, with the client-id and account-id headers,
 * before anything is parsed; a mismatch is 401 and nothing is processed. A good delivery is
 * acknowledged at once (LivePerson disables slow apps) and processed after: de-duplicated by
 * (dialogId, sequence) (chat states and cqm are latest-state), routed to its visitor through the
 * conversation index or the lp_consumer_id → visitor mapping, and appended to that visitor's
 * event log, whichever instance the visitor's browser is connected to.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Conversations } from './conversations.ts';
import { BrokerError } from './errors.ts';
import type { EventLog } from './event-log.ts';
import { readBody, sendError, sendJson } from './http.ts';
import {
  conversationEvent,
  messagingEvent,
  readConversationChange,
  readMessagingChange,
  type BrowserEvent,
  type MessagingChange,
} from './normalize.ts';
import { safeEqual, verifySignature } from './signature.ts';
import type { Store } from './store.ts';

export const WEBHOOK_PATH = '/v1/webhooks/liveperson';
const WEBHOOK_LIMIT_BYTES = 1024 * 1024;
/** LivePerson retries for up to 72 h (retention_time ≤ 259200 s): remember deliveries that long. */
const DEDUPE_TTL_MS = 72 * 60 * 60 * 1000;
const ROUTE_ATTEMPTS = 8;
const ROUTE_RETRY_MS = 250;

export interface WebhookOptions {
  account: string;
  clientId: string;
  clientSecret: string;
  store: Store;
  conversations: Conversations;
  events: EventLog;
  now: () => number;
  log: (line: string) => void;
}

export class WebhookReceiver {
  /** Deliveries still being processed after their acknowledgement (awaited on close and by tests). */
  private readonly pending = new Set<Promise<void>>();
  /** Per conversation: the processing of its latest delivery. */
  private readonly chains = new Map<string, Promise<void>>();
  received = 0;
  refused = 0;

  constructor(private readonly options: WebhookOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendError(res, new BrokerError(405, 'method-not-allowed', 'POST only'));
    }
    const body = await readBody(req, WEBHOOK_LIMIT_BYTES);
    const header = (name: string): string | undefined => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const signed = verifySignature(this.options.clientSecret, body, header('x-liveperson-signature'));
    const fromOurApp = safeEqual(header('x-liveperson-client-id'), this.options.clientId);
    const forOurAccount = safeEqual(header('x-liveperson-account-id'), this.options.account);
    if (!signed || !fromOurApp || !forOurAccount) {
      this.refused += 1;
      this.options.log(`webhook refused: ${!signed ? 'bad signature' : !fromOurApp ? 'unknown client id' : 'wrong account id'}`);
      return sendJson(res, 401, { error: { code: 'unauthorized', message: 'Signature or app headers do not match' } });
    }
    this.received += 1;
    sendJson(res, 200, {});
    const work = this.process(body).catch((error: unknown) => this.options.log(`webhook processing failed: ${(error as Error).message}`));
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Resolves when every acknowledged delivery so far has been processed. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private process(raw: Buffer): Promise<void> {
    let notification: unknown;
    try {
      notification = JSON.parse(raw.toString('utf8'));
    } catch {
      this.options.log('webhook body is not JSON; ignored');
      return Promise.resolve();
    }
    if (typeof notification !== 'object' || notification === null) return Promise.resolve();
    const { type, body } = notification as { type?: unknown; body?: { changes?: unknown } };
    const changes = Array.isArray(body?.changes) ? body.changes : body?.changes ? [body.changes] : [];
    const kind = typeof type === 'string' ? type : '';
    // LivePerson sends a conversation's deliveries in order, each after the previous one's
    // acknowledgement; since we acknowledge before processing, keep them in order here.
    const key = conversationKey(changes[0]);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(async () => {
      for (const change of changes) {
        if (kind.endsWith('MessagingEventNotification')) await this.onMessaging(change);
        else if (kind.endsWith('ExConversationChangeNotification')) await this.onConversation(change);
      }
    });
    const settled = next.catch(() => {});
    this.chains.set(key, settled);
    void settled.then(() => {
      if (this.chains.get(key) === settled) this.chains.delete(key);
    });
    return next;
  }

  private async onMessaging(raw: unknown): Promise<void> {
    const change = readMessagingChange(raw);
    if (!change) return;
    const consumerHint = change.role === 'CONSUMER' && change.originatorId ? [change.originatorId] : [];
    const visitorId = await this.route(change.conversationId, consumerHint, true);
    if (!visitorId) {
      this.options.log(`webhook event for unknown conversation ${change.conversationId}; dropped`);
      return;
    }
    const fromVisitor = await this.isVisitor(change, visitorId);
    const event = messagingEvent(change, fromVisitor, this.options.now());
    if (!event) return;
    if (change.sequence === undefined || change.event['type'] === 'ChatStateEvent') {
      await this.emit(visitorId, event);
      return;
    }
    const dedupeKey = `seen:${change.dialogId}:${change.sequence}`;
    if (!(await this.options.store.setIfAbsent(dedupeKey, '1', DEDUPE_TTL_MS))) return;
    try {
      await this.emit(visitorId, event);
    } catch (error) {
      await this.options.store.del(dedupeKey);
      throw error;
    }
  }

  private async onConversation(raw: unknown): Promise<void> {
    const change = readConversationChange(raw);
    if (!change || change.deleted) return;
    const visitorId = await this.route(change.conversationId, change.consumerIds, false);
    if (!visitorId) {
      this.options.log(`cqm change for unknown conversation ${change.conversationId}; dropped`);
      return;
    }
    const fresh = await this.options.conversations.apply(change.conversationId, visitorId, change.state, change.updatedAt);
    if (fresh) await this.emit(visitorId, conversationEvent(change));
  }

  /** The visitor of a conversation: the index first, then its consumer participants. */
  private async route(conversationId: string, consumerIds: string[], wait: boolean): Promise<string | undefined> {
    for (let attempt = 0; ; attempt += 1) {
      const record = await this.options.conversations.get(conversationId);
      if (record) return record.visitorId;
      for (const id of consumerIds) {
        const visitorId = await this.options.store.get(`lpc:${id}`);
        if (visitorId) return visitorId;
      }
      // An event can overtake the create response that indexes its conversation.
      if (!wait || attempt + 1 >= ROUTE_ATTEMPTS) return undefined;
      await new Promise((resolve) => setTimeout(resolve, ROUTE_RETRY_MS));
    }
  }

  private async isVisitor(change: MessagingChange, visitorId: string): Promise<boolean> {
    if (change.role !== undefined) return change.role === 'CONSUMER';
    if (!change.originatorId) return false;
    return (await this.options.store.get(`lpc:${change.originatorId}`)) === visitorId;
  }

  private async emit(visitorId: string, event: BrowserEvent): Promise<void> {
    await this.options.events.append(visitorId, event.kind, event.data);
  }
}

function conversationKey(change: unknown): string {
  if (typeof change !== 'object' || change === null) return '';
  const c = change as { conversationId?: unknown; dialogId?: unknown; result?: { convId?: unknown } };
  const id = c.conversationId ?? c.dialogId ?? c.result?.convId;
  return typeof id === 'string' ? id : '';
}
