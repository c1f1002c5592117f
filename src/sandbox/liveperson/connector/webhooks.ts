/**
 * Webhook delivery (LP contract §4.1 [SB]) for conversations created with an app's AppJWT: every
 * stored event and chat state of all participants as `ms.MessagingEventNotification`, and a
 * `cqm.ExConversationChangeNotification` UPSERT on every conversation change (create, agent join,
 * close, CSAT; the core has no transfer), one change per request, to the endpoint the app
 * configures for that event type.
 *
 * Request: `POST <endpoint>`, `content-type: application/json`, `x-liveperson-account-id`,
 * `x-liveperson-client-id`, `x-liveperson-signature` (`sha1=` + Base64(HMAC-SHA1(client_secret,
 * body bytes)); per app sha256 and/or hex), plus the configured headers. The body is the §5.4/§5.5
 * envelope without `subscriptionId`, serialized once when the event happens; those bytes are sent
 * on every attempt and signed (with the app's secret at the time of the attempt).
 *
 * Success = 200 or 201; a connect or read timeout (5 s each, real time) or any other answer
 * fails. Deliveries of one app and conversation leave in order, one at a time.
 * - By count (no `retry.retention_time`): a failed delivery is resent `max_retries` times (default
 *   0), 30 s apart, on its own: the conversation's next deliveries do not wait (order not kept).
 * - By time to live (`retry.retention_time`): FIFO per conversation; the head is retried after
 *   2 s, 4 s, 8 s … ≤ 300 s while the ones behind wait; a delivery still undelivered when its
 *   retention time is up is dropped. A type with an explicit `max_retries: 0` does not trigger
 *   retries: its failed delivery is dropped, unless it was queued behind a failing one.
 *   No app-wide failed/drain state, no disablement.
 * Retry delays run on the sandbox clock: an admin clock jump makes due retries run at once.
 * The endpoint is looked up at each attempt: an app whose endpoint was removed drops its queue.
 *
 * Faults (`POST /admin/faults`, call `lp.webhook`, optional `eventType` = a webhook key), one use
 * per attempt: `delayMs` (sandbox clock), `corruptSignature` (signed with a wrong key),
 * `duplicate` (the same request sent twice).
 */
import { createHmac } from 'node:crypto';
import { request as httpRequest, type ClientRequest, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SandboxContext } from '../../context.ts';
import type { Conversation, CoreChange } from '../../core.ts';
import { WEBHOOK_FAULT_CALL } from '../../faults.ts';
import { chatStateChange, conversationResult, messagingChange } from '../wire.ts';
import type { ConnectorApp, ConnectorApps, SignatureAlgorithm, SignatureEncoding, WebhookEventType } from './apps.ts';

export const COUNT_RETRY_DELAY_MS = 30_000;
export const TTL_FIRST_DELAY_MS = 2_000;
export const TTL_MAX_DELAY_MS = 300_000;
/** Finished deliveries kept for `GET /admin/connector/deliveries`. */
const KEEP_FINISHED = 1_000;

/** `sha1=` + Base64(HMAC-SHA1(key = secret as UTF-8, message = the body bytes)), or sha256 / hex. */
export function webhookSignature(secret: string, body: Buffer | string, algorithm: SignatureAlgorithm = 'sha1', encoding: SignatureEncoding = 'base64'): string {
  return `${algorithm}=${createHmac(algorithm, Buffer.from(secret, 'utf8')).update(body).digest(encoding)}`;
}

export interface DeliveryAttempt {
  /** Sandbox clock when the request left. */
  at: number;
  wallAt: number;
  endpoint: string;
  /** HTTP status, or null when none came (refused, timeout). */
  status: number | null;
  error?: string;
  ok: boolean;
  signatureCorrupted?: true;
  /** The extra copy sent by a `duplicate` fault. */
  duplicate?: true;
}

export type DeliveryState = 'queued' | 'sending' | 'retrying' | 'delivered' | 'dropped';

interface Delivery {
  id: string;
  clientId: string;
  account: string;
  conversationId: string;
  eventType: WebhookEventType;
  /** The change's event type (`ContentEvent`, ...) or `UPSERT`. */
  change: string;
  sequence?: number;
  body: Buffer;
  createdAt: number;
  endpoint: string;
  mode: 'count' | 'ttl';
  maxRetries: number;
  retentionMs: number;
  /** TTL mode, `max_retries: 0`, nothing queued before it: a failure drops it. */
  noRetryTrigger: boolean;
  attempts: DeliveryAttempt[];
  state: DeliveryState;
  notBefore?: number;
  dropReason?: string;
}

export interface DeliveryListing {
  id: string;
  clientId: string;
  account: string;
  conversationId: string;
  eventType: WebhookEventType;
  change: string;
  sequence?: number;
  endpoint: string;
  mode: 'count' | 'ttl';
  createdAt: number;
  state: DeliveryState;
  delivered: boolean;
  /** Requests sent, duplicates included. */
  attempts: number;
  statusCodes: (number | null)[];
  nextAttemptAt?: number;
  dropReason?: string;
  attemptLog: DeliveryAttempt[];
}

interface Queue {
  key: string;
  items: Delivery[];
  busy: boolean;
  waiting: boolean;
}

export interface WebhookTimeouts {
  connectMs: number;
  readMs: number;
}

type AttemptOutcome = 'ok' | 'failed' | 'gone' | 'stale';

export class WebhookDispatcher {
  /** Conversation id → the app whose AppJWT created it. */
  private readonly owners = new Map<string, string>();
  private readonly queues = new Map<string, Queue>();
  private deliveries: Delivery[] = [];
  private readonly timers = new Set<() => void>();
  private readonly inFlight = new Set<ClientRequest>();
  private nextId = 1;
  /** Bumped by reset/close: work begun before it is abandoned. */
  private generation = 0;

  constructor(
    private readonly sandbox: SandboxContext,
    private readonly apps: ConnectorApps,
    readonly timeouts: WebhookTimeouts = { connectMs: 5_000, readMs: 5_000 },
  ) {}

  /** A conversation created with `app`'s AppJWT: from now on its changes go to the app's webhooks. */
  track(conversation: Conversation, app: ConnectorApp): void {
    this.owners.set(conversation.id, app.client_id);
    // The core announced the creation before the owner was known: the UPSERT is sent from here.
    this.enqueueConversation(conversation);
  }

  onCoreChange(change: CoreChange): void {
    if (change.kind === 'reset' || !this.owners.has(change.conversation.id)) return;
    switch (change.kind) {
      case 'conversation':
        this.enqueueConversation(change.conversation);
        return;
      case 'event': {
        const type = change.event.event.type;
        this.enqueue(change.conversation, `ms.MessagingEventNotification.${type}` as WebhookEventType, type, messagingEnvelope(messagingChange(change.event)), change.event.sequence);
        return;
      }
      case 'chatState':
        this.enqueue(
          change.conversation,
          'ms.MessagingEventNotification.ChatStateEvent',
          'ChatStateEvent',
          messagingEnvelope(chatStateChange(change.conversation.id, change.dialogId, change.originator, change.chatState)),
        );
        return;
    }
  }

  list(filter: { clientId?: string; conversationId?: string; eventType?: string } = {}): DeliveryListing[] {
    return this.deliveries
      .filter(
        (d) =>
          (filter.clientId === undefined || d.clientId === filter.clientId) &&
          (filter.conversationId === undefined || d.conversationId === filter.conversationId) &&
          (filter.eventType === undefined || d.eventType === filter.eventType),
      )
      .map(describe);
  }

  /** Admin reset: forget conversations, queues and deliveries; abandon timers and requests. */
  reset(): void {
    this.generation++;
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    for (const req of this.inFlight) req.destroy();
    this.inFlight.clear();
    this.owners.clear();
    this.queues.clear();
    this.deliveries = [];
  }

  close(): void {
    this.reset();
  }

  private enqueueConversation(conversation: Conversation): void {
    this.enqueue(conversation, 'cqm.ExConversationChangeNotification', 'UPSERT', {
      kind: 'notification',
      body: { changes: [{ type: 'UPSERT', result: conversationResult(conversation) }] },
      type: 'cqm.ExConversationChangeNotification',
    });
  }

  private enqueue(conversation: Conversation, eventType: WebhookEventType, change: string, envelope: unknown, sequence?: number): void {
    const clientId = this.owners.get(conversation.id);
    const app = clientId === undefined ? undefined : this.apps.get(clientId);
    const config = app?.webhooks[eventType];
    if (!app || !config) return;
    const key = `${app.client_id}\n${conversation.id}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { key, items: [], busy: false, waiting: false };
      this.queues.set(key, queue);
    }
    const mode = app.retry ? 'ttl' : 'count';
    const delivery: Delivery = {
      id: `wh-${this.nextId++}`,
      clientId: app.client_id,
      account: app.account,
      conversationId: conversation.id,
      eventType,
      change,
      ...(sequence === undefined ? {} : { sequence }),
      // Serialized once: these bytes are sent and signed on every attempt.
      body: Buffer.from(JSON.stringify(envelope), 'utf8'),
      createdAt: this.sandbox.clock.now(),
      endpoint: config.endpoint,
      mode,
      maxRetries: config.max_retries ?? 0,
      retentionMs: (app.retry?.retention_time ?? 0) * 1000,
      noRetryTrigger: mode === 'ttl' && config.max_retries === 0 && queue.items.length === 0,
      attempts: [],
      state: 'queued',
    };
    this.deliveries.push(delivery);
    this.trimFinished();
    queue.items.push(delivery);
    this.pump(queue);
  }

  /** Sends the head of a queue when nothing of it is in flight or waiting. */
  private pump(queue: Queue): void {
    if (queue.busy || queue.waiting) return;
    const head = queue.items[0];
    if (!head) {
      this.queues.delete(queue.key);
      return;
    }
    const now = this.sandbox.clock.now();
    if (head.mode === 'ttl' && now >= head.createdAt + head.retentionMs) {
      this.drop(head, 'retention time exceeded');
      queue.items.shift();
      return this.pump(queue);
    }
    if (head.notBefore !== undefined && head.notBefore > now) {
      queue.waiting = true;
      this.schedule(head.notBefore, () => {
        queue.waiting = false;
        this.pump(queue);
      });
      return;
    }
    queue.busy = true;
    void this.attempt(head).then((outcome) => {
      if (outcome === 'stale') return;
      queue.busy = false;
      this.afterQueuedAttempt(queue, head, outcome);
      this.pump(queue);
    });
  }

  private afterQueuedAttempt(queue: Queue, head: Delivery, outcome: Exclude<AttemptOutcome, 'stale'>): void {
    if (outcome === 'ok' || outcome === 'gone') {
      queue.items.shift();
      return;
    }
    const failures = head.attempts.filter((a) => !a.duplicate).length;
    const now = this.sandbox.clock.now();
    if (head.mode === 'ttl') {
      if (head.noRetryTrigger) {
        this.drop(head, 'failed; max_retries 0 keeps this type from triggering retries');
        queue.items.shift();
        return;
      }
      const backoff = Math.min(TTL_FIRST_DELAY_MS * 2 ** (failures - 1), TTL_MAX_DELAY_MS);
      // At the retention end at the latest, where pump() drops it.
      head.notBefore = Math.min(now + backoff, head.createdAt + head.retentionMs);
      head.state = 'retrying';
      return;
    }
    queue.items.shift();
    if (failures <= head.maxRetries) this.retryAlone(head, now + COUNT_RETRY_DELAY_MS);
    else this.drop(head, head.maxRetries === 0 ? 'failed; no retries configured' : `failed; ${head.maxRetries} retries used up`);
  }

  /** By count: a failed delivery is resent on its own, 30 s later. */
  private retryAlone(delivery: Delivery, at: number): void {
    delivery.state = 'retrying';
    delivery.notBefore = at;
    this.schedule(at, () => {
      void this.attempt(delivery).then((outcome) => {
        if (outcome === 'ok' || outcome === 'gone' || outcome === 'stale') return;
        const failures = delivery.attempts.filter((a) => !a.duplicate).length;
        if (failures <= delivery.maxRetries) this.retryAlone(delivery, this.sandbox.clock.now() + COUNT_RETRY_DELAY_MS);
        else this.drop(delivery, `failed; ${delivery.maxRetries} retries used up`);
      });
    });
  }

  private async attempt(delivery: Delivery): Promise<AttemptOutcome> {
    const generation = this.generation;
    delivery.state = 'sending';
    delete delivery.notBefore;
    const fault = this.sandbox.faults.take(WEBHOOK_FAULT_CALL, delivery.eventType);
    if (fault) this.sandbox.log(`fault on ${WEBHOOK_FAULT_CALL} ${delivery.id}: ${JSON.stringify(fault)}`);
    if (fault?.delayMs) {
      await new Promise<void>((resolve) => this.schedule(this.sandbox.clock.now() + (fault.delayMs ?? 0), resolve));
      if (generation !== this.generation) return 'stale';
    }
    const app = this.apps.get(delivery.clientId);
    const config = app?.webhooks[delivery.eventType];
    if (!app || !config) {
      this.drop(delivery, 'the app or its endpoint for this event type was removed');
      return 'gone';
    }
    delivery.endpoint = config.endpoint;
    const secret = fault?.corruptSignature ? `${app.client_secret}\u0000corrupted` : app.client_secret;
    const headers: OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'x-liveperson-account-id': app.account,
      'x-liveperson-client-id': app.client_id,
      'x-liveperson-signature': webhookSignature(secret, delivery.body, app.signature, app.encoding),
    };
    for (const header of config.headers ?? []) headers[header.header_name] = header.header_value;
    const copies = fault?.duplicate ? 2 : 1;
    let ok = false;
    for (let copy = 0; copy < copies; copy++) {
      const at = this.sandbox.clock.now();
      const wallAt = Date.now();
      const result = await this.post(config.endpoint, headers, delivery.body);
      if (generation !== this.generation) return 'stale';
      const attempt: DeliveryAttempt = {
        at,
        wallAt,
        endpoint: config.endpoint,
        status: result.status,
        ok: result.error === undefined && (result.status === 200 || result.status === 201),
        ...(result.error === undefined ? {} : { error: result.error }),
        ...(fault?.corruptSignature ? { signatureCorrupted: true as const } : {}),
        ...(copy > 0 ? { duplicate: true as const } : {}),
      };
      delivery.attempts.push(attempt);
      if (copy === 0) ok = attempt.ok;
    }
    if (ok) {
      delivery.state = 'delivered';
      return 'ok';
    }
    return 'failed';
  }

  /** One POST with a connect and a read timeout (real time). Never rejects. */
  private post(endpoint: string, headers: OutgoingHttpHeaders, body: Buffer): Promise<{ status: number | null; error?: string }> {
    return new Promise((resolve) => {
      const url = new URL(endpoint);
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
      let status: number | null = null;
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (error?: string): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        this.inFlight.delete(req);
        if (error !== undefined) req.destroy();
        resolve(error === undefined ? { status } : { status, error });
      };
      const arm = (ms: number, error: string): void => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => finish(error), ms);
      };
      // No keep-alive pool: every attempt is a connection of its own, as a retry would be.
      const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': body.length }, agent: false }, (res) => {
        status = res.statusCode ?? null;
        res.on('data', () => {});
        res.on('end', () => finish());
        res.on('error', () => finish('response aborted'));
        res.on('aborted', () => finish('response aborted'));
      });
      this.inFlight.add(req);
      arm(this.timeouts.connectMs, 'connect timeout');
      req.on('socket', (socket) => {
        const connected = (): void => arm(this.timeouts.readMs, 'read timeout');
        if (!socket.connecting) connected();
        else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
      });
      req.on('error', (error) => finish(error.message || 'request failed'));
      req.end(body);
    });
  }

  private drop(delivery: Delivery, reason: string): void {
    delivery.state = 'dropped';
    delivery.dropReason = reason;
    delete delivery.notBefore;
  }

  /** Runs `fn` when the sandbox clock reaches `at` (real time passing, or an admin clock jump). */
  private schedule(at: number, fn: () => void): void {
    let fired = false;
    let cancel: (() => void) | undefined;
    cancel = this.sandbox.clock.at(at, () => {
      fired = true;
      if (cancel) this.timers.delete(cancel);
      fn();
    });
    // clock.at fires at once for a time already reached, before `cancel` is known.
    if (!fired) this.timers.add(cancel);
  }

  private trimFinished(): void {
    const finished = this.deliveries.filter((d) => d.state === 'delivered' || d.state === 'dropped');
    if (finished.length <= KEEP_FINISHED) return;
    const forget = new Set(finished.slice(0, finished.length - KEEP_FINISHED));
    this.deliveries = this.deliveries.filter((d) => !forget.has(d));
  }
}

function messagingEnvelope(change: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'notification', body: { changes: [change] }, type: 'ms.MessagingEventNotification' };
}

function describe(d: Delivery): DeliveryListing {
  return {
    id: d.id,
    clientId: d.clientId,
    account: d.account,
    conversationId: d.conversationId,
    eventType: d.eventType,
    change: d.change,
    ...(d.sequence === undefined ? {} : { sequence: d.sequence }),
    endpoint: d.endpoint,
    mode: d.mode,
    createdAt: d.createdAt,
    state: d.state,
    delivered: d.state === 'delivered',
    attempts: d.attempts.length,
    statusCodes: d.attempts.map((a) => a.status),
    ...(d.notBefore === undefined ? {} : { nextAttemptAt: d.notBefore }),
    ...(d.dropReason === undefined ? {} : { dropReason: d.dropReason }),
    attemptLog: d.attempts.map((a) => ({ ...a })),
  };
}
