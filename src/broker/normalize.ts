/**
 * From LivePerson webhook payloads (contract §4.1, §5.4, §5.5) to the events the browser reads
 * on `GET /v1/events`. Pure. The shapes are the broker's public contract (README: "Events").
 */

export type Json = Record<string, unknown>;

export type EventKind = 'message' | 'receipt' | 'seen' | 'typing' | 'conversation';

export interface BrowserEvent {
  kind: EventKind;
  data: Json;
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]);
const str = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

export const EXTERNAL_ID_PREFIX = 'guestchat:';

export interface MessagingChange {
  conversationId: string;
  dialogId: string;
  sequence: number | undefined;
  originatorId: string | undefined;
  /** CONSUMER, ASSIGNED_AGENT, AGENT, ... when given. */
  role: string | undefined;
  serverTimestamp: number | undefined;
  event: Json;
  metadata: unknown[] | undefined;
  /** `messageAudience: AGENTS_AND_MANAGERS`: not for the consumer. */
  agentsOnly: boolean;
}

export function readMessagingChange(change: unknown): MessagingChange | undefined {
  if (!isObject(change) || !isObject(change['event'])) return undefined;
  const dialogId = str(change['dialogId']) ?? str(change['conversationId']);
  const conversationId = str(change['conversationId']) ?? dialogId;
  if (!dialogId || !conversationId) return undefined;
  const meta = isObject(change['originatorMetadata']) ? change['originatorMetadata'] : undefined;
  return {
    conversationId,
    dialogId,
    sequence: num(change['sequence']),
    originatorId: str(change['originatorId']) ?? str(meta?.['id']),
    role: str(meta?.['role']),
    serverTimestamp: num(change['serverTimestamp']),
    event: change['event'],
    metadata: change['metadata'] === undefined ? undefined : asArray(change['metadata']),
    agentsOnly: change['messageAudience'] === 'AGENTS_AND_MANAGERS',
  };
}

export function readClientId(metadata: unknown[] | undefined): string | undefined {
  for (const item of metadata ?? []) {
    if (!isObject(item) || item['type'] !== 'ExternalId') continue;
    const id = str(item['id']);
    if (id?.startsWith(EXTERNAL_ID_PREFIX)) return id.slice(EXTERNAL_ID_PREFIX.length);
  }
  return undefined;
}

const messageId = (dialogId: string, sequence: number): string => `${dialogId}:${sequence}`;

/**
 * The browser event for one messaging change, or undefined when the visitor has nothing to see
 * (agents-only, the visitor's own chat states and ACCEPTs, unknown event types).
 * `fromVisitor`: the change was originated by this visitor's consumer.
 */
export function messagingEvent(change: MessagingChange, fromVisitor: boolean, now: number): BrowserEvent | undefined {
  if (change.agentsOnly) return undefined;
  const { conversationId, dialogId, sequence, event } = change;
  const at = change.serverTimestamp ?? now;
  const type = event['type'];
  if (type === 'ChatStateEvent') {
    if (fromVisitor) return undefined;
    const chatState = str(event['chatState']) ?? 'ACTIVE';
    return { kind: 'typing', data: { conversationId, dialogId, on: chatState === 'COMPOSING', chatState } };
  }
  if (type === 'AcceptStatusEvent') {
    const status = event['status'];
    const sequences = asArray(event['sequenceList']).filter((s): s is number => typeof s === 'number');
    if (sequences.length === 0) return undefined;
    const messageIds = sequences.map((s) => messageId(dialogId, s));
    if (fromVisitor) {
      return status === 'READ' ? { kind: 'seen', data: { conversationId, dialogId, sequences, messageIds, at } } : undefined;
    }
    if (status !== 'ACCEPT' && status !== 'READ') return undefined;
    return {
      kind: 'receipt',
      data: { conversationId, dialogId, status: status === 'READ' ? 'read' : 'delivered', sequences, messageIds, at, ...(sequence === undefined ? {} : { sequence }) },
    };
  }
  if ((type === 'ContentEvent' || type === 'RichContentEvent') && sequence !== undefined) {
    const data: Json = {
      id: messageId(dialogId, sequence),
      conversationId,
      dialogId,
      sequence,
      from: fromVisitor ? 'visitor' : change.role === 'CONSUMER' ? 'visitor' : change.role === undefined ? 'system' : 'agent',
      at,
      event,
    };
    if (change.role !== undefined) data['role'] = change.role;
    if (type === 'ContentEvent' && typeof event['message'] === 'string') data['text'] = event['message'];
    const clientId = fromVisitor ? readClientId(change.metadata) : undefined;
    if (clientId !== undefined) data['clientId'] = clientId;
    if (change.metadata !== undefined) data['metadata'] = change.metadata;
    return { kind: 'message', data };
  }
  return undefined;
}

export interface ConversationChange {
  conversationId: string;
  deleted: boolean;
  state: 'OPEN' | 'CLOSE';
  closeReason: string | undefined;
  /** Participant ids with role CONSUMER. */
  consumerIds: string[];
  assignedAgentId: string | undefined;
  startedAt: number | undefined;
  endedAt: number | undefined;
  updatedAt: number | undefined;
}

function participantsByRole(details: Json): Map<string, string[]> {
  const byRole = new Map<string, string[]>();
  const add = (role: string, id: string): void => void byRole.set(role, [...(byRole.get(role) ?? []), id]);
  for (const p of asArray(details['participants'])) {
    if (isObject(p) && str(p['id']) && str(p['role'])) add(String(p['role']), String(p['id']));
  }
  if (byRole.size === 0 && isObject(details['participantsPId'])) {
    for (const [role, ids] of Object.entries(details['participantsPId'])) {
      for (const id of asArray(ids)) if (typeof id === 'string') add(role, id);
    }
  }
  return byRole;
}

export function readConversationChange(change: unknown): ConversationChange | undefined {
  if (!isObject(change) || !isObject(change['result'])) return undefined;
  const result = change['result'];
  const conversationId = str(result['convId']);
  const details = isObject(result['conversationDetails']) ? result['conversationDetails'] : undefined;
  if (!conversationId || !details) return undefined;
  const stage = str(details['stage']);
  const over = stage !== undefined ? stage === 'CLOSE' : details['state'] === 'CLOSE';
  const roles = participantsByRole(details);
  return {
    conversationId,
    deleted: change['type'] === 'DELETE',
    state: over ? 'CLOSE' : 'OPEN',
    closeReason: str(details['closeReason']),
    consumerIds: roles.get('CONSUMER') ?? [],
    assignedAgentId: roles.get('ASSIGNED_AGENT')?.[0],
    startedAt: num(details['startTs']),
    endedAt: num(details['endTs']),
    updatedAt: num(details['metaDataLastUpdateTs']),
  };
}

const CLOSED_BY: Record<string, 'visitor' | 'agent' | 'system'> = { CONSUMER: 'visitor', AGENT: 'agent', TIMEOUT: 'system', SYSTEM: 'system' };

export function conversationEvent(change: ConversationChange): BrowserEvent {
  const data: Json = {
    conversationId: change.conversationId,
    state: change.state,
    agent: change.assignedAgentId === undefined ? null : { id: change.assignedAgentId },
  };
  if (change.startedAt !== undefined) data['startedAt'] = change.startedAt;
  if (change.state === 'CLOSE') {
    data['closedBy'] = (change.closeReason && CLOSED_BY[change.closeReason]) ?? 'system';
    if (change.closeReason !== undefined) data['closeReason'] = change.closeReason;
    if (change.endedAt !== undefined) data['endedAt'] = change.endedAt;
  }
  return { kind: 'conversation', data };
}
