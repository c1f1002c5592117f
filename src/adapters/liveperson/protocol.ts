/**
 * The Messaging Window API wire format (contract §5): frame builders and tolerant readers.
 * Pure: no socket, no timers. Readers ignore unknown fields and enum values and accept a bare
 * object where LivePerson documents an array (§5.2).
 */
import { GuestChatError } from '../../errors.ts';
import type { QuickReply } from '../types.ts';

/** Server closes that mean "the token is not (or no longer) good" (§5.7). */
export const AUTH_CLOSE_CODES: ReadonlySet<number> = new Set([4401, 4407, 1008, 1011]);

/** Our own closes, and the only code we ever send. */
export const NORMAL_CLOSE = 1000;

export const FEATURES = ['RICH_CONTENT', 'QUICK_REPLIES'] as const;
export const APP_ID = 'guestchat';
/** Prefix of the ExternalId metadata that marks our own sends. */
export const EXTERNAL_ID_PREFIX = 'guestchat:';
/** Shown for content the widget cannot render (contract §5.12 [GC]: a plain fallback). */
export const UNSUPPORTED_CONTENT_TEXT = '[This message cannot be shown here]';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An array as documented, a bare element as sometimes sent, nothing as empty. */
export function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === undefined || value === null) return [];
  return [value];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function int(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Outbound

export interface RequestFrame {
  kind: 'req';
  id: string;
  type: string;
  body?: unknown;
  headers?: unknown[];
  metadata?: unknown[];
}

export function messagingSocketUrl(messagingOrigin: string, account: string): string {
  return `${messagingOrigin}/ws_api/account/${encodeURIComponent(account)}/messaging/consumer?v=3`;
}

/** ClientProperties, best effort from the user agent (only `type` is required). */
export function clientProperties(userAgent: string | undefined): JsonObject {
  const ua = userAgent ?? '';
  const deviceFamily = /iPad|Tablet/i.test(ua)
    ? 'TABLET'
    : /Mobi|iPhone|iPod|Android/i.test(ua)
      ? 'MOBILE'
      : ua.length > 0
        ? 'DESKTOP'
        : 'OTHER';
  const os = /Windows/i.test(ua)
    ? 'WINDOWS'
    : /iPhone|iPad|iPod/i.test(ua)
      ? 'IOS'
      : /Android/i.test(ua)
        ? 'ANDROID'
        : /Mac OS X|Macintosh/i.test(ua)
          ? 'OSX'
          : /Linux|X11|CrOS/i.test(ua)
            ? 'LINUX'
            : 'OTHER';
  return {
    type: '.ams.headers.ClientProperties',
    appId: APP_ID,
    deviceFamily,
    os,
    features: [...FEATURES],
  };
}

export function initConnectionFrame(id: string, jwt: string, properties: JsonObject): RequestFrame {
  return {
    kind: 'req',
    id,
    type: 'InitConnection',
    headers: [properties, { type: '.ams.headers.ConsumerAuthentication', jwt }],
  };
}

export function requestFrame(id: string, type: string, body?: unknown, metadata?: unknown[]): RequestFrame {
  const frame: RequestFrame = { kind: 'req', id, type };
  if (body !== undefined) frame.body = body;
  if (metadata !== undefined) frame.metadata = metadata;
  return frame;
}

export const subscribeConversationsBody = (): JsonObject => ({ convState: ['OPEN'] });

export const requestConversationBody = (account: string): JsonObject => ({
  channelType: 'MESSAGING',
  brandId: account,
  skillId: '-1',
});

export const subscribeMessagingBody = (dialogId: string, conversationId: string, fromSeq: number): JsonObject => ({
  dialogId,
  conversationId,
  fromSeq,
});

export const publishBody = (dialogId: string, conversationId: string, event: JsonObject): JsonObject => ({
  dialogId,
  conversationId,
  event,
});

export const textEvent = (text: string): JsonObject => ({ type: 'ContentEvent', contentType: 'text/plain', message: text });

export const chatStateEvent = (state: 'COMPOSING' | 'ACTIVE'): JsonObject => ({ type: 'ChatStateEvent', chatState: state });

export const acceptStatusEvent = (status: 'ACCEPT' | 'READ' | 'ACTION', sequenceList: number[]): JsonObject => ({
  type: 'AcceptStatusEvent',
  status,
  sequenceList,
});

/**
 * Our client id travels as ExternalId metadata on the publish. LivePerson stores request
 * metadata with the event and replays it in every echo and history notification, so after a
 * reload or reconnect the session can recognise which outbox entries the server already holds
 * and never sends them twice (exactly-once delivery without a server-side idempotency key).
 * ExternalId ids are ≤ 64 characters: "guestchat:" + a UUID is 46.
 */
export const externalIdMetadata = (clientId: string): JsonObject[] => [
  { type: 'ExternalId', id: EXTERNAL_ID_PREFIX + clientId },
];

/**
 * The metadata of a publish that answers a quick reply (§5.12): the element's `click.metadata`
 * unchanged, then our ExternalId. Our item goes last so the brand's items keep their order; the
 * client id is read back from the first ExternalId carrying our prefix, wherever it is.
 */
export const replyMetadata = (clickMetadata: readonly unknown[], clientId: string): unknown[] => [
  ...clickMetadata,
  ...externalIdMetadata(clientId),
];

export const closeConversationBody = (conversationId: string): JsonObject => ({
  conversationId,
  conversationField: { field: 'ConversationStateField', conversationState: 'CLOSE' },
});

/** Legacy CSAT after close (§5.11): one score, the resolution confirmed, the survey filled. */
export const csatBody = (conversationId: string, score: number): JsonObject => ({
  conversationId,
  conversationField: { field: 'CSATRate', csatRate: score, csatResolutionConfirmation: true, status: 'FILLED' },
});

/** Agent public profile (§5.13), on the `acCdnDomain` host; no auth. */
export function agentProfileUrl(cdnOrigin: string, account: string, agentId: string): string {
  return `${cdnOrigin}/api/account/${encodeURIComponent(account)}/configuration/le-users/users/${encodeURIComponent(agentId)}`;
}

// ---------------------------------------------------------------------------------------------
// Inbound

export interface ResponseFrame {
  kind: 'resp';
  reqId: string;
  code: number;
  type: string | undefined;
  body: unknown;
}

export interface NotificationFrame {
  kind: 'notification';
  type: string;
  body: unknown;
}

export type InboundFrame = ResponseFrame | NotificationFrame | { kind: 'other' };

/** Parse one socket frame. Throws `bad-server-data` for what is not a JSON envelope. */
export function parseFrame(data: unknown): InboundFrame {
  if (typeof data !== 'string') throw new GuestChatError('bad-server-data', 'Non-text frame on the messaging socket');
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (cause) {
    throw new GuestChatError('bad-server-data', 'Unparsable frame on the messaging socket', { cause });
  }
  if (!isObject(value)) throw new GuestChatError('bad-server-data', 'Frame on the messaging socket is not an object');
  if (value['kind'] === 'resp') {
    const reqId = typeof value['reqId'] === 'number' ? String(value['reqId']) : str(value['reqId']);
    const code = typeof value['code'] === 'number' ? value['code'] : Number(value['code']);
    if (reqId === undefined || !Number.isFinite(code)) {
      throw new GuestChatError('bad-server-data', 'Response frame without reqId or code');
    }
    return { kind: 'resp', reqId, code, type: str(value['type']), body: value['body'] };
  }
  if (value['kind'] === 'notification') {
    const type = str(value['type']);
    if (type === undefined) throw new GuestChatError('bad-server-data', 'Notification frame without type');
    return { kind: 'notification', type, body: value['body'] };
  }
  return { kind: 'other' };
}

export const MESSAGING_NOTIFICATION = 'ms.MessagingEventNotification';

/** `cqm.` or `aam.` ExConversationChangeNotification: match the suffix (§5.5). */
export function isConversationNotification(type: string): boolean {
  return type.endsWith('ExConversationChangeNotification');
}

/** `clientId` from our ExternalId metadata, when present. */
export function readClientId(metadata: unknown): string | undefined {
  for (const item of asArray(metadata)) {
    if (!isObject(item) || item['type'] !== 'ExternalId') continue;
    const id = str(item['id']);
    if (id !== undefined && id.startsWith(EXTERNAL_ID_PREFIX) && id.length > EXTERNAL_ID_PREFIX.length) {
      return id.slice(EXTERNAL_ID_PREFIX.length);
    }
  }
  return undefined;
}

function stripTags(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Chips shown at most (§5.12: ≤ 24 per message). */
export const MAX_QUICK_REPLIES = 24;

/**
 * Quick replies of a Content/RichContent event (§5.12): `quickReplies.replies[]` chips with a
 * title. The text sent back is the chip's `publishText` action text, else its title (link and
 * other actions do not change what is sent); `click.metadata` is copied unchanged (a bare object
 * read as a one-element array). Undefined when the event offers none.
 */
export function readQuickReplies(event: JsonObject): QuickReply[] | undefined {
  const block = event['quickReplies'];
  if (!isObject(block)) return undefined;
  const replies: QuickReply[] = [];
  for (const chip of asArray(block['replies'])) {
    if (replies.length >= MAX_QUICK_REPLIES) break;
    if (!isObject(chip)) continue;
    const title = str(chip['title'])?.trim();
    if (title === undefined || title.length === 0) continue;
    const click = isObject(chip['click']) ? chip['click'] : {};
    let text: string | undefined;
    for (const action of asArray(click['actions'])) {
      const candidate = isObject(action) && action['type'] === 'publishText' ? str(action['text']) : undefined;
      if (candidate !== undefined && candidate.trim().length > 0) {
        text = candidate;
        break;
      }
    }
    const reply: QuickReply = { title, text: text ?? title };
    const metadata = click['metadata'];
    if (metadata !== undefined && metadata !== null) reply.metadata = asArray(metadata);
    replies.push(reply);
  }
  return replies.length > 0 ? replies : undefined;
}

/** Text of a ContentEvent: text/plain as is, other types a plain fallback. */
export function contentEventText(event: JsonObject): string {
  const contentType = str(event['contentType']) ?? 'text/plain';
  const message = event['message'];
  if (typeof message === 'string') {
    if (contentType === 'text/plain') return message;
    if (contentType === 'text/html') return stripTags(message).trim() || UNSUPPORTED_CONTENT_TEXT;
    if (contentType.startsWith('text/')) return message;
  }
  if (isObject(message)) {
    const caption = str(message['caption']) ?? str(message['text']);
    if (caption !== undefined) return caption;
  }
  return UNSUPPORTED_CONTENT_TEXT;
}

/** Text elements, button titles and image captions of structured content, in order. */
export function richContentText(content: unknown): string {
  const parts: string[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (depth > 32) return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child, depth + 1);
      return;
    }
    if (!isObject(node)) return;
    switch (node['type']) {
      case 'text': {
        const text = str(node['text']);
        if (text !== undefined) parts.push(text);
        break;
      }
      case 'button': {
        const title = str(node['title']);
        if (title !== undefined) parts.push(title);
        break;
      }
      case 'image': {
        const caption = str(node['caption']) ?? str(node['alt']);
        if (caption !== undefined) parts.push(caption);
        break;
      }
      default:
        break;
    }
    if ('elements' in node) visit(node['elements'], depth + 1);
    if ('replies' in node) visit(node['replies'], depth + 1);
  };
  visit(content, 0);
  if (parts.length > 0) return parts.join('\n');
  if (isObject(content)) {
    const alt = str(content['alt']);
    if (alt !== undefined) return alt;
  }
  return UNSUPPORTED_CONTENT_TEXT;
}

/** One change of an `ms.MessagingEventNotification`, read leniently. */
export interface MessagingChange {
  dialogId: string;
  conversationId: string;
  sequence: number | undefined;
  originatorId: string | undefined;
  role: string | undefined;
  serverTimestamp: number | undefined;
  audience: string | undefined;
  event: JsonObject;
  metadata: unknown;
}

export function readMessagingChange(change: unknown): MessagingChange | undefined {
  if (!isObject(change) || !isObject(change['event'])) return undefined;
  const dialogId = str(change['dialogId']) ?? str(change['conversationId']);
  if (dialogId === undefined) return undefined;
  const originatorMetadata = isObject(change['originatorMetadata']) ? change['originatorMetadata'] : {};
  const timestamp = change['serverTimestamp'];
  return {
    dialogId,
    // Older examples lack conversationId: the MAIN dialog id is the conversation id.
    conversationId: str(change['conversationId']) ?? dialogId,
    sequence: int(change['sequence']),
    originatorId: str(change['originatorId']) ?? str(originatorMetadata['id']),
    role: str(originatorMetadata['role']),
    serverTimestamp: typeof timestamp === 'number' && Number.isFinite(timestamp) ? timestamp : undefined,
    audience: str(change['messageAudience']),
    event: change['event'],
    metadata: change['metadata'],
  };
}

/** One change of an ExConversationChangeNotification, reduced to what the widget needs. */
export interface ConversationChange {
  type: 'UPSERT' | 'DELETE';
  conversationId: string;
  /** Over = `stage` CLOSE, or `state` CLOSE without `stage` (§5.11 [GC]). */
  over: boolean;
  closeReason: string | undefined;
  /** MAIN dialog id (= conversation id unless the server says otherwise). */
  mainDialogId: string;
  /** Participants with role ASSIGNED_AGENT. */
  agentIds: string[];
  /** Participants with role CONSUMER; undefined when the change lists none. */
  consumerIds: string[] | undefined;
  startTs: number | undefined;
}

function participantsByRole(details: JsonObject, role: string): string[] | undefined {
  const list = asArray(details['participants']);
  if (list.length > 0) {
    return list.flatMap((p) => (isObject(p) && p['role'] === role && str(p['id']) !== undefined ? [p['id'] as string] : []));
  }
  if (isObject(details['participantsPId'])) {
    return asArray(details['participantsPId'][role]).flatMap((id) => (str(id) === undefined ? [] : [id as string]));
  }
  return undefined;
}

export function readConversationChange(change: unknown): ConversationChange | undefined {
  if (!isObject(change)) return undefined;
  const type = change['type'];
  if (type !== 'UPSERT' && type !== 'DELETE') return undefined;
  const result = isObject(change['result']) ? change['result'] : {};
  const conversationId = str(result['convId']) ?? str(result['conversationId']);
  if (conversationId === undefined) return undefined;
  const details = isObject(result['conversationDetails']) ? result['conversationDetails'] : {};
  const stage = str(details['stage']);
  const state = str(details['state']);
  const mainDialog = asArray(details['dialogs']).find((d) => isObject(d) && d['dialogType'] === 'MAIN');
  const startTs = details['startTs'];
  return {
    type,
    conversationId,
    over: stage !== undefined ? stage === 'CLOSE' : state === 'CLOSE',
    closeReason: str(details['closeReason']),
    mainDialogId: (isObject(mainDialog) ? str(mainDialog['dialogId']) : undefined) ?? conversationId,
    agentIds: participantsByRole(details, 'ASSIGNED_AGENT') ?? [],
    consumerIds: participantsByRole(details, 'CONSUMER'),
    startTs: typeof startTs === 'number' ? startTs : undefined,
  };
}

/** The changes of a notification body; throws `bad-server-data` when the body is not an object. */
export function readChanges(body: unknown): unknown[] {
  if (!isObject(body)) throw new GuestChatError('bad-server-data', 'Notification without a body');
  return asArray(body['changes']);
}

export function closedBy(closeReason: string | undefined): 'visitor' | 'agent' | 'system' {
  if (closeReason === 'CONSUMER') return 'visitor';
  if (closeReason === 'AGENT') return 'agent';
  return 'system';
}
