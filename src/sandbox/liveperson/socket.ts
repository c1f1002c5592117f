/**
 * One consumer connection of the Messaging Window API (contract §5).
 *
 * Frames are handled strictly in arrival order (checklist 8a): each frame waits for the previous
 * one, including InitConnection's asynchronous token check, so a request sent right behind
 * InitConnection sees an initialized socket. Within a request, the response goes out before the
 * notifications it causes (§5.2 [SB]): notifications raised while a request is handled are held
 * and flushed after the response.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { SandboxContext } from '../context.ts';
import {
  ACCEPT_STATUSES,
  CHAT_STATES,
  CoreError,
  type AcceptStatus,
  type ChatState,
  type Conversation,
  type CoreChange,
  type Dialog,
  type Csat,
  type Metadata,
  type Participant,
  type StoredEventBody,
} from '../core.ts';
import { delay, isSendableCloseCode } from '../faults.ts';
import { isRecord } from '../http.ts';
import type { LivePersonTokens } from './tokens.ts';
import { chatStateChange, cqmNotification, messagingChange, messagingNotification, type LpFrame } from './wire.ts';

export const CLOSE_AUTH = 4401;
export const CLOSE_IDENTITY_EXPIRED = 4407;
export const CLOSE_UNPARSABLE = 1007;
export const CLOSE_IDLE = 1000;

const STRING_RESP = '.ReqBody$StringResp';
const MAX_JWT_LENGTH = 2048;

interface CqmSubscription {
  id: string;
  convState?: Set<string>;
  stage?: Set<string>;
  minLastUpdatedTime?: number;
  /** Conversations this subscription has been shown: they keep getting UPSERTs after leaving the filter. */
  shown: Set<string>;
}

interface Request {
  reqId: string;
  type: string;
  body: unknown;
  frame: Record<string, unknown>;
}

/** A request that fails with a code and a text body. */
class RequestError extends Error {
  constructor(
    readonly code: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

export interface ConnectionOwner {
  sandbox: SandboxContext;
  tokens: LivePersonTokens;
  forget(connection: LpConnection): void;
}

export class LpConnection {
  consumerId: string | undefined;
  private initialized = false;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();
  private holding = false;
  private held: LpFrame[] = [];
  private initTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private cancelExpiry: (() => void) | undefined;
  private readonly cqmSubscriptions = new Map<string, CqmSubscription>();
  /** Dialog ids with a messaging-events subscription on this socket (a re-subscribe replaces). */
  private readonly dialogSubscriptions = new Set<string>();
  private readonly sandbox: SandboxContext;

  constructor(
    private readonly ws: WebSocket,
    readonly account: string,
    private readonly owner: ConnectionOwner,
    headerJwt?: string,
  ) {
    this.sandbox = owner.sandbox;
    ws.on('message', (data, isBinary) => {
      this.touch();
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      this.enqueue(() => this.process(text, isBinary));
    });
    ws.on('ping', () => this.touch());
    ws.on('close', () => this.cleanUp());
    ws.on('error', () => this.cleanUp());
    this.initTimer = setTimeout(() => {
      if (!this.initialized) this.close(CLOSE_AUTH, 'InitConnection not received in time');
    }, this.sandbox.lifetimes.lpInitConnectionMs);
    this.touch();
    // Non-browser clients may authenticate on the upgrade (`Authorization: jwt <token>`); that
    // check takes the first place in the queue, like an InitConnection would.
    if (headerJwt !== undefined) this.enqueue(() => this.authenticate(headerJwt).then(() => undefined));
  }

  get isLive(): boolean {
    return !this.closed;
  }

  /** Ends the socket: with a close frame, or (1006 / none) without one. */
  close(code?: number, reason = ''): void {
    if (this.closed) return;
    this.cleanUp();
    if (code === undefined || !isSendableCloseCode(code)) this.ws.terminate();
    else this.ws.close(code, reason);
  }

  /** Routes a core change to this socket, if it concerns this consumer and a subscription. */
  onCoreChange(change: CoreChange): void {
    if (!this.initialized || this.closed || change.kind === 'reset') return;
    const conversation = change.conversation;
    if (!this.owns(conversation)) return;
    switch (change.kind) {
      case 'conversation':
        for (const subscription of this.cqmSubscriptions.values()) {
          const matches = this.matches(subscription, conversation);
          if (matches || subscription.shown.has(conversation.id)) {
            this.notify(cqmNotification(subscription.id, [conversation]));
          }
          if (matches) subscription.shown.add(conversation.id);
          else subscription.shown.delete(conversation.id);
        }
        return;
      case 'event':
        if (this.dialogSubscriptions.has(change.event.dialogId)) this.notify(messagingNotification([messagingChange(change.event)]));
        return;
      case 'chatState':
        if (this.dialogSubscriptions.has(change.dialogId)) {
          this.notify(messagingNotification([chatStateChange(conversation.id, change.dialogId, change.originator, change.chatState)]));
        }
        return;
    }
  }

  private enqueue(task: () => Promise<void> | void): void {
    this.queue = this.queue
      .then(async () => {
        if (!this.closed) await task();
      })
      .catch((error: unknown) => {
        console.error('[sandbox] LivePerson socket task failed:', error);
        this.close(1011, 'Internal error');
      });
  }

  private touch(): void {
    if (this.closed) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(CLOSE_IDLE, 'Idle timeout'), this.sandbox.lifetimes.lpIdleMs);
  }

  private cleanUp(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.initTimer) clearTimeout(this.initTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.cancelExpiry?.();
    this.owner.forget(this);
  }

  private async process(text: string, _isBinary: boolean): Promise<void> {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return this.close(CLOSE_UNPARSABLE, 'Unparsable frame');
    }
    if (!isRecord(frame)) return this.close(CLOSE_UNPARSABLE, 'Frame is not a JSON object');
    const type = typeof frame.type === 'string' ? frame.type : undefined;
    /** A lost answer: the request is handled, then the socket ends instead of answering. */
    let cutAfter: { code: number | undefined } | undefined;
    if (type !== undefined) {
      const call = `lp.ws.${type}`;
      this.sandbox.calls.count(call);
      const body = isRecord(frame.body) ? frame.body : undefined;
      const eventType = body && isRecord(body.event) && typeof body.event.type === 'string' ? body.event.type : undefined;
      const fault = this.sandbox.faults.take(call, eventType);
      if (fault) {
        if (fault.delayMs) await delay(fault.delayMs);
        if (this.closed) return;
        if (fault.after) cutAfter = { code: fault.closeCode };
        else if (fault.closeCode !== undefined) return this.close(fault.closeCode, 'Injected fault');
        if (fault.status !== undefined) {
          return this.send({ kind: 'resp', reqId: requestId(frame.id), code: fault.status, type: STRING_RESP, body: 'Injected fault' });
        }
      }
    }
    if (!this.initialized && type !== 'InitConnection') return this.close(CLOSE_AUTH, 'Not authenticated');
    const reqId = requestId(frame.id);
    if (reqId === undefined) return this.send(errorResp(undefined, 400, 'Missing or invalid request id'));
    if (frame.kind !== 'req' || type === undefined) return this.send(errorResp(reqId, 400, 'Expected a request (kind "req" with a type)'));
    const request: Request = { reqId, type, body: frame.body, frame };
    if (type === 'InitConnection') return this.initConnection(request);
    this.handleHeld(request, cutAfter);
  }

  /** Sends a raw text frame as is (admin: malformed frames, unknown notifications). */
  sendRaw(text: string): boolean {
    if (!this.initialized || this.closed || this.ws.readyState !== this.ws.OPEN) return false;
    this.ws.send(text);
    return true;
  }

  private async initConnection(request: Request): Promise<void> {
    if (this.initialized) return this.send(errorResp(request.reqId, 400, 'Connection already initialized'));
    const ok = await this.authenticate(findJwt(request.frame.headers));
    if (ok) this.send({ kind: 'resp', reqId: request.reqId, code: 200, type: STRING_RESP, body: 'OK' });
  }

  /** Verifies the consumer JWT; on success the socket is initialized and its expiry watched. */
  private async authenticate(jwt: unknown): Promise<boolean> {
    const claims =
      typeof jwt === 'string' && jwt.length <= MAX_JWT_LENGTH ? await this.owner.tokens.verifyConsumerJwt(this.account, jwt) : undefined;
    if (this.closed) return false;
    if (!claims) {
      this.close(CLOSE_AUTH, 'Invalid token');
      return false;
    }
    this.initialized = true;
    this.consumerId = claims.sub;
    if (this.initTimer) clearTimeout(this.initTimer);
    this.sandbox.core.registerConsumer('liveperson', this.account, claims.sub);
    // 4407 the moment the sandbox clock reaches `exp`, by real time or by an admin clock jump.
    this.cancelExpiry = this.sandbox.clock.at(claims.exp * 1000, () => this.close(CLOSE_IDENTITY_EXPIRED, 'Token expired'));
    return true;
  }

  /** Runs a synchronous request; notifications it raises wait until its response is sent. */
  private handleHeld(request: Request, cutAfter?: { code: number | undefined }): void {
    this.holding = true;
    try {
      if (cutAfter) {
        // The request takes effect (other sockets see its notifications), this socket hears nothing.
        try {
          this.handle(request);
        } catch (error) {
          if (!(error instanceof RequestError) && !(error instanceof CoreError)) throw error;
        }
        this.held = [];
        this.close(cutAfter.code, 'Injected fault after handling');
        return;
      }
      try {
        this.send(this.handle(request));
      } catch (error) {
        if (error instanceof RequestError) this.send(errorResp(request.reqId, error.code, error.message));
        else if (error instanceof CoreError) this.send(errorResp(request.reqId, error.code === 'not-found' ? 404 : 400, error.message));
        else throw error;
      }
    } finally {
      this.holding = false;
      const held = this.held;
      this.held = [];
      for (const frame of held) this.send(frame);
    }
  }

  private handle({ reqId, type, body, frame }: Request): LpFrame {
    switch (type) {
      case '.GetClock':
      case 'GetClock':
        return { kind: 'resp', reqId, code: 200, type: '.GetClock$Response', body: { currentTime: this.sandbox.clock.now() } };
      case 'KeepAlive':
      case 'userprofile.SetUserProfile':
        return { kind: 'resp', reqId, code: 200, type: STRING_RESP, body: 'OK' };
      case 'cqm.SubscribeExConversations':
        return this.subscribeConversations(reqId, body);
      case 'cqm.UnsubscribeExConversations': {
        const id = isRecord(body) ? body.subscriptionId : undefined;
        if (typeof id !== 'string' || !this.cqmSubscriptions.delete(id)) throw new RequestError(400, 'Unknown subscriptionId');
        return { kind: 'resp', reqId, code: 200, type: STRING_RESP, body: 'OK' };
      }
      case 'cm.ConsumerRequestConversation':
        return this.requestConversation(reqId, body);
      case 'ms.SubscribeMessagingEvents':
        return this.subscribeMessagingEvents(reqId, body);
      case 'ms.PublishEvent':
        return this.publishEvent(reqId, body, frame.metadata);
      case 'cm.UpdateConversationField':
        return this.updateConversationField(reqId, body);
      default:
        // Unknown types, and file sharing (ms.GenerateURLForUploadFile, ...) which is not emulated.
        throw new RequestError(400, `Unsupported request type ${type}`);
    }
  }

  private subscribeConversations(reqId: string, body: unknown): LpFrame {
    const input = body === undefined ? {} : body;
    if (!isRecord(input)) throw new RequestError(400, 'body must be an object');
    const subscription: CqmSubscription = { id: randomUUID(), shown: new Set() };
    // An omitted filter does not filter: LivePerson's examples always send convState.
    if (input.convState !== undefined) subscription.convState = stateSet(input.convState, 'convState');
    if (input.stage !== undefined) subscription.stage = stateSet(input.stage, 'stage');
    if (input.minLastUpdatedTime !== undefined) {
      if (typeof input.minLastUpdatedTime !== 'number') throw new RequestError(400, 'minLastUpdatedTime must be a number');
      subscription.minLastUpdatedTime = input.minLastUpdatedTime;
    }
    this.cqmSubscriptions.set(subscription.id, subscription);
    const snapshot = this.myConversations().filter((c) => this.matches(subscription, c));
    for (const c of snapshot) subscription.shown.add(c.id);
    this.notify(cqmNotification(subscription.id, snapshot));
    return { kind: 'resp', reqId, code: 200, type: 'cqm.SubscribeExConversationsResponse', body: { subscriptionId: subscription.id } };
  }

  private requestConversation(reqId: string, body: unknown): LpFrame {
    const input = body === undefined ? {} : body;
    if (!isRecord(input)) throw new RequestError(400, 'body must be an object');
    if (input.channelType !== undefined && input.channelType !== 'MESSAGING') throw new RequestError(400, 'channelType must be MESSAGING');
    if (input.brandId !== undefined && input.brandId !== this.account) throw new RequestError(400, 'brandId does not match the account');
    if (input.skillId !== undefined && typeof input.skillId !== 'string') throw new RequestError(400, 'skillId must be a string');
    const consumerId = this.requireConsumer();
    if (this.sandbox.core.findOpenConversation('liveperson', this.account, consumerId)) {
      throw new RequestError(400, 'Consumer already has an open conversation');
    }
    const conversation = this.sandbox.core.createConversation({
      adapter: 'liveperson',
      tenant: this.account,
      consumerId,
      ...(typeof input.skillId === 'string' ? { skillId: input.skillId } : {}),
    });
    return { kind: 'resp', reqId, code: 200, type: 'cm.RequestConversationResponse', body: { conversationId: conversation.id } };
  }

  private subscribeMessagingEvents(reqId: string, body: unknown): LpFrame {
    if (!isRecord(body) || typeof body.dialogId !== 'string') throw new RequestError(400, 'dialogId is required');
    const { dialog } = this.myDialog(body.dialogId, body.conversationId);
    const fromSeq = body.fromSeq ?? 0;
    if (typeof fromSeq !== 'number' || !Number.isInteger(fromSeq) || fromSeq < 0) throw new RequestError(400, 'fromSeq must be an integer >= 0');
    // Replaces an earlier subscription on the same dialog: the history below, then live events once.
    this.dialogSubscriptions.add(dialog.dialogId);
    this.notify(messagingNotification(dialog.events.filter((e) => e.sequence >= fromSeq).map(messagingChange)));
    return { kind: 'resp', reqId, code: 200, type: 'GenericSubscribeResponse', body: {} };
  }

  private publishEvent(reqId: string, body: unknown, metadataInput: unknown): LpFrame {
    if (!isRecord(body) || typeof body.dialogId !== 'string') throw new RequestError(400, 'dialogId is required');
    const event = body.event;
    if (!isRecord(event) || typeof event.type !== 'string') throw new RequestError(400, 'event with a type is required');
    const { conversation, dialog } = this.myDialog(body.dialogId, body.conversationId);
    if (dialog.state === 'CLOSE') throw new RequestError(400, 'Dialog is closed');
    const metadata = parseMetadata(metadataInput);
    const me: Participant = { id: this.requireConsumer(), role: 'CONSUMER' };
    if (event.type === 'ChatStateEvent') {
      const chatState = event.chatState;
      if (typeof chatState !== 'string' || !(CHAT_STATES as readonly string[]).includes(chatState)) {
        throw new RequestError(400, `chatState must be one of ${CHAT_STATES.join(', ')}`);
      }
      this.sandbox.core.setChatState(conversation.id, dialog.dialogId, me, chatState as ChatState);
      return { kind: 'resp', reqId, code: 200, type: 'ms.PublishEventResponse', body: { sequence: 0 } };
    }
    const stored = this.sandbox.core.publish(conversation.id, dialog.dialogId, me, parseStoredEvent(event), metadata ? { metadata } : {});
    return { kind: 'resp', reqId, code: 200, type: 'ms.PublishEventResponse', body: { sequence: stored.sequence } };
  }

  private updateConversationField(reqId: string, body: unknown): LpFrame {
    if (!isRecord(body) || typeof body.conversationId !== 'string') throw new RequestError(400, 'conversationId is required');
    const conversation = this.myConversation(body.conversationId);
    const fields = Array.isArray(body.conversationField) ? body.conversationField : [body.conversationField];
    if (fields.length === 0) throw new RequestError(400, 'conversationField is required');
    let answer = 'OK';
    for (const field of fields) {
      if (!isRecord(field)) throw new RequestError(400, 'conversationField must be an object');
      switch (field.field) {
        // [SB] ConversationStateField and Stage close MAIN and the stage, reason CONSUMER. Closing
        // a closed conversation is a 400 (the core refuses it).
        case 'ConversationStateField':
        case 'Stage':
          if (field.conversationState !== 'CLOSE') throw new RequestError(400, 'Only conversationState CLOSE is supported');
          this.sandbox.core.closeConversation(conversation.id, 'CONSUMER');
          answer = 'OK Conversation resolved successfully';
          break;
        case 'DialogChange': {
          // No MULTI_DIALOG post-conversation survey in the sandbox: closing MAIN closes all.
          const dialog = field.dialog;
          if (field.type !== 'UPDATE' || !isRecord(dialog) || dialog.state !== 'CLOSE' || typeof dialog.dialogId !== 'string') {
            throw new RequestError(400, 'DialogChange needs type UPDATE and dialog {dialogId, state: CLOSE}');
          }
          const target = conversation.dialogs.find((d) => d.dialogId === dialog.dialogId);
          if (!target) throw new RequestError(404, `Unknown dialog ${dialog.dialogId}`);
          const cause = typeof dialog.closedCause === 'string' ? dialog.closedCause : undefined;
          this.sandbox.core.closeConversation(conversation.id, 'CONSUMER', cause);
          answer = 'OK Conversation resolved successfully';
          break;
        }
        case 'CSATRate':
          this.sandbox.core.rateConversation(conversation.id, parseCsat(field));
          break;
        default:
          throw new RequestError(400, `Unsupported conversationField ${String(field.field)}`);
      }
    }
    return { kind: 'resp', reqId, code: 200, type: STRING_RESP, body: answer };
  }

  private requireConsumer(): string {
    if (this.consumerId === undefined) throw new RequestError(400, 'Not initialized');
    return this.consumerId;
  }

  private owns(conversation: Conversation): boolean {
    return conversation.adapter === 'liveperson' && conversation.tenant === this.account && conversation.consumerId === this.consumerId;
  }

  private myConversations(): Conversation[] {
    return this.sandbox.core.listConversations({ adapter: 'liveperson', tenant: this.account, consumerId: this.requireConsumer() });
  }

  private myConversation(conversationId: string): Conversation {
    const conversation = this.sandbox.core.getConversation(conversationId);
    if (!conversation || !this.owns(conversation)) throw new RequestError(404, `Unknown conversation ${conversationId}`);
    return conversation;
  }

  private myDialog(dialogId: string, conversationId: unknown): { conversation: Conversation; dialog: Dialog } {
    const found = this.sandbox.core.findDialog(dialogId);
    if (!found || !this.owns(found.conversation)) throw new RequestError(404, `Unknown dialog ${dialogId}`);
    if (conversationId !== undefined && conversationId !== found.conversation.id) throw new RequestError(404, `Unknown conversation ${String(conversationId)}`);
    return found;
  }

  private matches(subscription: CqmSubscription, conversation: Conversation): boolean {
    return (
      this.owns(conversation) &&
      (subscription.convState === undefined || subscription.convState.has(conversation.state)) &&
      (subscription.stage === undefined || subscription.stage.has(conversation.stage)) &&
      (subscription.minLastUpdatedTime === undefined || conversation.metaDataLastUpdateTs >= subscription.minLastUpdatedTime)
    );
  }

  private notify(frame: LpFrame): void {
    if (this.holding) this.held.push(frame);
    else this.send(frame);
  }

  private send(frame: LpFrame): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(frame));
  }
}

/** Numeric ids are accepted and echoed as strings (§5.2). */
function requestId(id: unknown): string | undefined {
  if (typeof id === 'string' && id.length >= 1 && id.length <= 64) return id;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  return undefined;
}

function errorResp(reqId: string | undefined, code: number, message: string): LpFrame {
  return { kind: 'resp', ...(reqId === undefined ? {} : { reqId }), code, type: STRING_RESP, body: message };
}

/** The ConsumerAuthentication header's `jwt` (or `JWT`); `headers` may be one bare object. */
function findJwt(headers: unknown): unknown {
  const list = Array.isArray(headers) ? headers : [headers];
  for (const header of list) {
    if (isRecord(header) && typeof header.type === 'string' && header.type.endsWith('ConsumerAuthentication')) {
      return header.jwt ?? header.JWT;
    }
  }
  return undefined;
}

function stateSet(value: unknown, name: string): Set<string> {
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((s) => s === 'OPEN' || s === 'CLOSE')) throw new RequestError(400, `${name} entries must be OPEN or CLOSE`);
  return new Set(list as string[]);
}

/** [SB] Metadata must be an array of objects with a string `type`; stored as sent. */
function parseMetadata(input: unknown): Metadata | undefined {
  if (input === undefined) return undefined;
  if (!Array.isArray(input) || !input.every((m) => isRecord(m) && typeof m.type === 'string')) {
    throw new RequestError(400, 'metadata must be an array of objects with a string type');
  }
  return input as Metadata;
}

/** Validates a stored event per §5.3 [SB]; extra fields are kept as sent. */
function parseStoredEvent(event: Record<string, unknown>): StoredEventBody {
  switch (event.type) {
    case 'ContentEvent':
      if (typeof event.contentType !== 'string' || event.contentType === '') throw new RequestError(400, 'ContentEvent needs contentType');
      if (typeof event.message !== 'string' || event.message === '') throw new RequestError(400, 'ContentEvent needs a non-empty message');
      return { ...event, type: 'ContentEvent', contentType: event.contentType, message: event.message };
    case 'RichContentEvent':
      if (!isRecord(event.content)) throw new RequestError(400, 'RichContentEvent needs content');
      return { ...event, type: 'RichContentEvent', content: event.content };
    case 'AcceptStatusEvent': {
      const { status, sequenceList } = event;
      if (typeof status !== 'string' || !(ACCEPT_STATUSES as readonly string[]).includes(status)) {
        throw new RequestError(400, `status must be one of ${ACCEPT_STATUSES.join(', ')}`);
      }
      if (!Array.isArray(sequenceList) || sequenceList.length === 0 || !sequenceList.every((s) => Number.isInteger(s))) {
        throw new RequestError(400, 'sequenceList must be a non-empty array of sequences');
      }
      // The core refuses sequences the dialog does not hold.
      return { type: 'AcceptStatusEvent', status: status as AcceptStatus, sequenceList: sequenceList as number[] };
    }
    default:
      throw new RequestError(400, `Unsupported event type ${String(event.type)}`);
  }
}

function parseCsat(field: Record<string, unknown>): Csat {
  const { csatRate, csatResolutionConfirmation, status } = field;
  if (typeof csatRate !== 'number' || !Number.isInteger(csatRate) || csatRate < 1 || csatRate > 5) {
    throw new RequestError(400, 'csatRate must be an integer 1..5');
  }
  if (status !== 'FILLED' && status !== 'PARTIALLY_FILLED' && status !== 'SKIPPED') {
    throw new RequestError(400, 'status must be FILLED, PARTIALLY_FILLED or SKIPPED');
  }
  if (csatResolutionConfirmation !== undefined && typeof csatResolutionConfirmation !== 'boolean') {
    throw new RequestError(400, 'csatResolutionConfirmation must be a boolean');
  }
  return { csatRate, status, ...(csatResolutionConfirmation === undefined ? {} : { csatResolutionConfirmation }) };
}
