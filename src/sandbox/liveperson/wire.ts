/**
 * Core records → LivePerson Messaging Window wire shapes (contract §5.4, §5.5).
 */
import type { ChatState, Conversation, Dialog, Participant, StoredEvent } from '../core.ts';

export interface LpFrame {
  kind: 'resp' | 'notification';
  [field: string]: unknown;
}

/** The `result` of a cqm UPSERT: the whole conversation, as LivePerson sends it on every change. */
export function conversationResult(conversation: Conversation): Record<string, unknown> {
  const details: Record<string, unknown> = {
    skillId: conversation.skillId,
    brandId: conversation.tenant,
    state: conversation.state,
    stage: conversation.stage,
    startTs: conversation.startTs,
    metaDataLastUpdateTs: conversation.metaDataLastUpdateTs,
    participants: conversation.participants.map((p) => ({ id: p.id, role: p.role })),
    dialogs: conversation.dialogs.map((d) => dialogDetails(d, conversation.participants)),
    ttr: { ttrType: 'NORMAL', value: 3600 },
  };
  if (conversation.endTs !== undefined) details.endTs = conversation.endTs;
  if (conversation.closeReason !== undefined) details.closeReason = conversation.closeReason;
  if (conversation.csat !== undefined) details.csat = { ...conversation.csat };
  return { convId: conversation.id, effectiveTTR: -1, conversationDetails: details };
}

function dialogDetails(dialog: Dialog, participants: Participant[]): Record<string, unknown> {
  const details: Record<string, unknown> = {
    dialogId: dialog.dialogId,
    dialogType: dialog.dialogType,
    channelType: 'MESSAGING',
    state: dialog.state,
    participantsDetails: participants.map((p) => ({ id: p.id, role: p.role, state: 'ACTIVE' })),
    creationTs: dialog.creationTs,
    metaDataLastUpdateTs: dialog.metaDataLastUpdateTs,
  };
  if (dialog.endTs !== undefined) details.endTs = dialog.endTs;
  if (dialog.closedBy !== undefined) details.closedBy = dialog.closedBy;
  if (dialog.closedCause !== undefined) details.closedCause = dialog.closedCause;
  return details;
}

export function cqmNotification(subscriptionId: string, conversations: Conversation[]): LpFrame {
  return {
    kind: 'notification',
    type: 'cqm.ExConversationChangeNotification',
    body: { subscriptionId, changes: conversations.map((c) => ({ type: 'UPSERT', result: conversationResult(c) })) },
  };
}

export function messagingChange(event: StoredEvent): Record<string, unknown> {
  const change: Record<string, unknown> = {
    sequence: event.sequence,
    originatorId: event.originator.id,
    originatorMetadata: { id: event.originator.id, role: event.originator.role },
    serverTimestamp: event.serverTimestamp,
    event: { ...event.event },
    conversationId: event.conversationId,
    dialogId: event.dialogId,
    messageAudience: 'ALL',
  };
  if (event.metadata !== undefined) change.metadata = event.metadata;
  return change;
}

/** Chat state changes carry no `sequence` and no `serverTimestamp` (§5.4). */
export function chatStateChange(conversationId: string, dialogId: string, originator: Participant, chatState: ChatState): Record<string, unknown> {
  return {
    originatorId: originator.id,
    originatorMetadata: { id: originator.id, role: originator.role },
    event: { type: 'ChatStateEvent', chatState },
    conversationId,
    dialogId,
  };
}

export function messagingNotification(changes: Record<string, unknown>[]): LpFrame {
  return { kind: 'notification', type: 'ms.MessagingEventNotification', body: { changes } };
}
