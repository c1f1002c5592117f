/**
 * The Messaging Window API wire format (contract §5): frame builders and tolerant readers.
 * Pure: no socket, no timers. Readers ignore unknown fields and enum values and accept a bare
 * object where LivePerson documents an array (§5.2).
 */
import { GuestChatError, type ReasonCode } from '../../errors.ts';
import type { QuickReply } from '../types.ts';

/** Server closes that mean "the token is not (or no longer) good" (§5.7). */
export const AUTH_CLOSE_CODES: readonly unknown[] = [4401, 4407, 1008, 1011];

/** The reason of a socket that ended with this close code (none: it went silent). */
export const closeReason = (code: number | undefined): ReasonCode =>
  AUTH_CLOSE_CODES.includes(code) ? 'auth-rejected' : 'connection-lost';

/** Our own closes, and the only code we ever send. */
export const NORMAL_CLOSE = 1000;

/** Prefix of the ExternalId metadata that marks our own sends. */
export const EXTERNAL_ID_PREFIX = 'guestchat:';
/** Shown for content the widget cannot render (contract §5.12 [GC]: a plain fallback). */
export const UNSUPPORTED_CONTENT_TEXT = '[This message cannot be shown here]';

export type JsonObject = Record<string, unknown>;

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `value[key]` when value is an object, else undefined. */
export const field = (value: unknown, key: string): unknown => (isObject(value) ? value[key] : undefined);

/** An array as documented, a bare element as sometimes sent, nothing as empty. */
export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : value == null ? [] : [value]);

/** A non-empty string, else undefined. */
export const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/** A finite number, else undefined. */
export const finite = (value: unknown): number | undefined => (Number.isFinite(value) ? (value as number) : undefined);

/** The first of these fields of `value` that is a non-empty string (none when it is no object). */
export function firstStr(value: unknown, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const found = str(field(value, key));
    if (found) return found;
  }
  return undefined;
}

/** A message sequence number: a whole number, 0 or more. */
export const isSequence = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

// ---------------------------------------------------------------------------------------------
// Outbound

export function messagingSocketUrl(messagingOrigin: string, account: string): string {
  return `${messagingOrigin}/ws_api/account/${encodeURIComponent(account)}/messaging/consumer?v=3`;
}

type Guess = [RegExp, string];
const DEVICE_FAMILIES: Guess[] = [
  [/iPad|Tablet/i, 'TABLET'],
  [/Mobi|iPhone|iPod|Android/i, 'MOBILE'],
  [/./s, 'DESKTOP'], // any other user agent that says something
];
const OSES: Guess[] = [
  [/Windows/i, 'WINDOWS'],
  [/iPhone|iPad|iPod/i, 'IOS'],
  [/Android/i, 'ANDROID'],
  [/Mac OS X|Macintosh/i, 'OSX'],
  [/Linux|X11|CrOS/i, 'LINUX'],
];
const guess = (ua: string, table: Guess[]): string => table.find(([pattern]) => pattern.test(ua))?.[1] ?? 'OTHER';

/**
 * The headers of InitConnection: ClientProperties, best effort from the user agent (only `type`
 * is required), and the consumer JWT.
 */
export function initConnectionHeaders(jwt: string, userAgent = ''): JsonObject[] {
  return [
    {
      type: '.ams.headers.ClientProperties',
      appId: 'guestchat',
      deviceFamily: guess(userAgent, DEVICE_FAMILIES),
      os: guess(userAgent, OSES),
      features: ['RICH_CONTENT', 'QUICK_REPLIES'],
    },
    { type: '.ams.headers.ConsumerAuthentication', jwt },
  ];
}

export const acceptStatusEvent = (status: 'ACCEPT' | 'READ' | 'ACTION', sequenceList: number[]): JsonObject => ({
  type: 'AcceptStatusEvent',
  status,
  sequenceList,
});

/**
 * The metadata of a publish. Our client id travels as ExternalId metadata: LivePerson stores
 * request metadata with the event and replays it in every echo and history notification, so after
 * a reload or reconnect the session can recognise which outbox entries the server already holds
 * and never sends them twice (exactly-once delivery without a server-side idempotency key).
 * ExternalId ids are ≤ 64 characters: "guestchat:" + a UUID is 46.
 *
 * A publish that answers a quick reply (§5.12) carries the element's `click.metadata` unchanged
 * first, so the brand's items keep their order; the client id is read back from the first
 * ExternalId carrying our prefix, wherever it is.
 */
export const publishMetadata = (clientId: string, clickMetadata: readonly unknown[] = []): unknown[] => [
  ...clickMetadata,
  { type: 'ExternalId', id: EXTERNAL_ID_PREFIX + clientId },
];

// ---------------------------------------------------------------------------------------------
// Inbound

export interface ResponseFrame {
  kind: 'resp';
  reqId: string;
  code: number;
  body: unknown;
}

export interface NotificationFrame {
  kind: 'notification';
  type: string;
  body: unknown;
}

export const badData = (message: string): GuestChatError => new GuestChatError('bad-server-data', message);

/**
 * Parse one socket frame: a response, a notification, or undefined for other kinds. Throws
 * `bad-server-data` for what is not a JSON envelope.
 */
export function parseFrame(data: unknown): ResponseFrame | NotificationFrame | undefined {
  let value: unknown;
  try {
    // A binary frame (Blob, ArrayBuffer) reads as "[object …]": no JSON either.
    value = JSON.parse(data as string);
  } catch {
    // reported below
  }
  if (!isObject(value)) throw badData('Bad socket frame');
  // Normalised in place: the frame object is ours.
  const { kind, reqId } = value;
  if (kind === 'resp') {
    value['reqId'] = typeof reqId === 'number' ? String(reqId) : str(reqId);
    value['code'] = Number(value['code']);
    if (value['reqId'] && Number.isFinite(value['code'])) return value as unknown as ResponseFrame;
  } else if (kind !== 'notification') return undefined;
  else if (str(value['type'])) return value as unknown as NotificationFrame;
  throw badData(`Bad ${kind} frame`);
}

export const MESSAGING_NOTIFICATION = 'ms.MessagingEventNotification';

/** `cqm.` or `aam.` ExConversationChangeNotification: match the suffix (§5.5). */
export const isConversationNotification = (type: string): boolean => type.endsWith('ExConversationChangeNotification');

/** `clientId` from our ExternalId metadata, when present. */
export function readClientId(metadata: unknown): string | undefined {
  for (const item of asArray(metadata)) {
    const id = field(item, 'type') === 'ExternalId' ? str(field(item, 'id')) : undefined;
    if (id?.startsWith(EXTERNAL_ID_PREFIX) && id.length > EXTERNAL_ID_PREFIX.length) {
      return id.slice(EXTERNAL_ID_PREFIX.length);
    }
  }
  return undefined;
}

const ENTITIES: Record<string, string> = { nbsp: ' ', lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' };

function stripTags(html: string): string {
  // One pass over the entities: `&amp;lt;` stays `&lt;`, as when `&amp;` is decoded last.
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(nbsp|lt|gt|quot|#39|amp);/g, (_, name: string) => ENTITIES[name] as string);
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
  const replies: QuickReply[] = [];
  for (const chip of asArray(field(event['quickReplies'], 'replies'))) {
    const title = str(field(chip, 'title'))?.trim();
    if (!title) continue;
    const click = field(chip, 'click');
    const action = asArray(field(click, 'actions')).find(
      (a) => field(a, 'type') === 'publishText' && str(field(a, 'text'))?.trim(),
    );
    const reply: QuickReply = { title, text: (field(action, 'text') as string | undefined) ?? title };
    const metadata = field(click, 'metadata');
    if (metadata != null) reply.metadata = asArray(metadata);
    if (replies.push(reply) === MAX_QUICK_REPLIES) break;
  }
  return replies.length ? replies : undefined;
}

/** Text of a ContentEvent (text/plain as is), or undefined when it has none to show. */
function contentEventText(event: JsonObject): string | undefined {
  const contentType = str(event['contentType']) ?? 'text/plain';
  const message = event['message'];
  if (typeof message !== 'string') return firstStr(message, 'caption', 'text');
  return contentType === 'text/html' ? stripTags(message).trim() || undefined : contentType.startsWith('text/') ? message : undefined;
}

/** The fields that carry the text of each structured-content element type, in preference order. */
const RICH_TEXT_FIELDS = new Map([
  ['text', ['text']],
  ['button', ['title']],
  ['image', ['caption', 'alt']],
]);

/** Text elements, button titles and image captions of structured content, in order. */
function richContentText(content: unknown): string | undefined {
  const parts: string[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (depth > 32) return;
    if (Array.isArray(node)) for (const child of node) visit(child, depth + 1);
    else if (isObject(node)) {
      const text = firstStr(node, ...(RICH_TEXT_FIELDS.get(node['type'] as string) ?? []));
      if (text) parts.push(text);
      // Absent children are no nodes: visiting them adds nothing.
      visit(node['elements'], depth + 1);
      visit(node['replies'], depth + 1);
    }
  };
  visit(content, 0);
  return parts.join('\n') || firstStr(content, 'alt');
}

/**
 * The text of a ContentEvent or RichContentEvent; content the widget cannot render gets a plain
 * fallback (§5.12 [GC]).
 */
export function eventText(event: JsonObject): string {
  return (
    (event['type'] === 'ContentEvent' ? contentEventText(event) : richContentText(event['content'] ?? event['message'])) ??
    UNSUPPORTED_CONTENT_TEXT
  );
}

/** One change of an ExConversationChangeNotification, reduced to what the widget needs. */
export interface ConversationChange {
  conversationId: string;
  /**
   * Who ended it; undefined while it is open. Over = a DELETE (`system`), `stage` CLOSE, or
   * `state` CLOSE without `stage` (§5.11 [GC]); `closeReason` CONSUMER is the visitor, AGENT the
   * agent, anything else the system.
   */
  closedBy: 'visitor' | 'agent' | 'system' | undefined;
  /** MAIN dialog id (= conversation id unless the server says otherwise). */
  mainDialogId: string;
  /** Participants with role ASSIGNED_AGENT. */
  agentIds: string[];
  /** Participants with role CONSUMER; undefined when the change lists none. */
  consumerIds: string[] | undefined;
  startTs: number | undefined;
}

/** The ids of `participants` with this role, else of `participantsPId[role]`; undefined when neither is there. */
function participantsByRole(details: JsonObject, role: string): string[] | undefined {
  const list = asArray(details['participants']);
  const byRole = details['participantsPId'];
  const ids = list.length ? list.map((p) => field(p, 'role') === role && field(p, 'id')) : isObject(byRole) ? asArray(byRole[role]) : undefined;
  return ids?.filter((id): id is string => !!str(id));
}

export function readConversationChange(change: unknown): ConversationChange | undefined {
  const type = field(change, 'type');
  if (type !== 'UPSERT' && type !== 'DELETE') return undefined;
  const result = field(change, 'result');
  const conversationId = firstStr(result, 'convId', 'conversationId');
  if (!conversationId) return undefined;
  const found = field(result, 'conversationDetails');
  const details = isObject(found) ? found : {};
  const mainDialog = asArray(details['dialogs']).find((d) => field(d, 'dialogType') === 'MAIN');
  const reason = details['closeReason'];
  return {
    conversationId,
    closedBy:
      type === 'DELETE'
        ? 'system'
        : firstStr(details, 'stage', 'state') !== 'CLOSE'
          ? undefined
          : reason === 'CONSUMER'
            ? 'visitor'
            : reason === 'AGENT'
              ? 'agent'
              : 'system',
    mainDialogId: str(field(mainDialog, 'dialogId')) ?? conversationId,
    agentIds: participantsByRole(details, 'ASSIGNED_AGENT') ?? [],
    consumerIds: participantsByRole(details, 'CONSUMER'),
    startTs: finite(details['startTs']), // JSON has no NaN or Infinity: any number
  };
}

/** The changes of a notification body; throws `bad-server-data` when the body is not an object. */
export function readChanges(body: unknown): unknown[] {
  if (!isObject(body)) throw badData('Bad notification body');
  return asArray(body['changes']);
}
