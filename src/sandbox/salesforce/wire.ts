/**
 * Salesforce wire shapes (SF contract §2.7, §3.2–§3.4): conversation entries, the stream's `data`
 * envelope, SSE frames and error bodies. One entry record serves both forms: the REST entries API
 * sends `entryPayload` as an object, the stream as a JSON string.
 */

export type SfRole = 'EndUser' | 'Agent' | 'Chatbot' | 'System' | 'Router' | 'Supervisor';

export interface SfSender {
  role: SfRole;
  subject: string;
  appType: string;
  clientIdentifier: string;
}

export interface SfEntry {
  /** For messages the message id; otherwise a new uuid. */
  identifier: string;
  entryType: string;
  /** The `event:` name on the stream. */
  event: string;
  /** The parsed `entryPayload`; always repeats `entryType` (§3.3). */
  payload: Record<string, unknown>;
  sender: SfSender;
  /** Never empty (§3.3: Salesforce's sample drops entries without one). */
  senderDisplayName: string;
  transcriptedTimestamp: number;
  clientTimestamp: number;
  relatedRecords: string[];
}

export const EVENT = {
  message: 'CONVERSATION_MESSAGE',
  routingResult: 'CONVERSATION_ROUTING_RESULT',
  participantChanged: 'CONVERSATION_PARTICIPANT_CHANGED',
  typingStarted: 'CONVERSATION_TYPING_STARTED_INDICATOR',
  typingStopped: 'CONVERSATION_TYPING_STOPPED_INDICATOR',
  delivery: 'CONVERSATION_DELIVERY_ACKNOWLEDGEMENT',
  read: 'CONVERSATION_READ_ACKNOWLEDGEMENT',
  sessionStatus: 'CONVERSATION_SESSION_STATUS_CHANGED',
  close: 'CONVERSATION_CLOSE_CONVERSATION',
} as const;

/** `channelType` of every envelope (§3.3). */
export const CHANNEL_TYPE = 'embedded_messaging';

/** What the envelope says about the conversation an entry belongs to. */
export interface EnvelopeContext {
  conversationId: string;
  /** [SB] The end user's subject: Salesforce's per-end-user channel key. */
  channelPlatformKey: string;
  channelAddressIdentifier: string;
}

/** §2.7: the REST form, `entryPayload` an object, no per-entry `conversationId`. */
export function restEntry(entry: SfEntry): Record<string, unknown> {
  return {
    identifier: entry.identifier,
    entryType: entry.entryType,
    entryPayload: entry.payload,
    sender: { ...entry.sender },
    senderDisplayName: entry.senderDisplayName,
    transcriptedTimestamp: entry.transcriptedTimestamp,
    clientTimestamp: entry.clientTimestamp,
    relatedRecords: [...entry.relatedRecords],
  };
}

/** §3.3: the stream's `data`, one JSON line, `entryPayload` a JSON string. */
export function streamData(context: EnvelopeContext, entry: SfEntry): string {
  return JSON.stringify({
    channelPlatformKey: context.channelPlatformKey,
    channelType: CHANNEL_TYPE,
    channelAddressIdentifier: context.channelAddressIdentifier,
    conversationId: context.conversationId,
    conversationEntry: {
      identifier: entry.identifier,
      entryType: entry.entryType,
      entryPayload: JSON.stringify(entry.payload),
      sender: { ...entry.sender },
      senderDisplayName: entry.senderDisplayName,
      transcriptedTimestamp: entry.transcriptedTimestamp,
      clientTimestamp: entry.clientTimestamp,
      relatedRecords: [...entry.relatedRecords],
    },
  });
}

/**
 * One SSE frame. `data` must be one line (JSON.stringify never emits a raw newline); a frame
 * without an id (ping) leaves the client's cursor alone.
 */
export function sseFrame(event: string, data: string, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`;
}

/** §2.0: `{ message, code }`; `code` is a sandbox decision. */
export interface SfError {
  status: number;
  message: string;
  code: string;
}

export const sfError = (status: number, message: string, code: string): SfError => ({ status, message, code });

/** §5.4 texts. */
export const JWT_EXPIRED = sfError(401, 'Jwt is expired', 'JWT_EXPIRED');
export const ORG_MISMATCH = sfError(400, 'OrgId in the header and token must match', 'ORG_ID_MISMATCH');
export const NOT_API_DEPLOYMENT = sfError(400, "Set the esDeveloperName to a deploymentType that's set to api", 'INVALID_DEPLOYMENT_TYPE');

/** The message of an injected fault, by status. */
export function faultError(status: number): { message: string; code: string } {
  if (status === 429) return { message: 'Too many requests', code: 'TOO_MANY_REQUESTS' };
  if (status >= 500) return { message: 'Injected server fault', code: 'SERVER_ERROR' };
  return { message: 'Injected fault', code: 'INJECTED_FAULT' };
}

/** Client-generated ids (conversation, message): lowercase UUID v4 (contract conventions). */
export const LOWERCASE_UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
