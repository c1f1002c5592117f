/**
 * Tabs of one browser keep each other current over a BroadcastChannel, for what the servers do
 * not tell them: the visitor's unsent messages, what was just read, a new identity, an erase.
 * (Messages, receipts and the end of a conversation reach every tab from the server itself.)
 */
export type TabMessage =
  | { type: 'outbox' }
  | { type: 'seen'; ids: string[] }
  | { type: 'identity'; subject: string }
  | { type: 'forget' };

export interface TabChannel {
  post(message: TabMessage): void;
  close(): void;
}

function isTabMessage(value: unknown): value is TabMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  switch (message.type) {
    case 'outbox':
    case 'forget':
      return true;
    case 'seen':
      return Array.isArray(message.ids) && message.ids.every((id) => typeof id === 'string');
    case 'identity':
      return typeof message.subject === 'string';
    default:
      return false;
  }
}

export function openTabChannel(tenant: string, onMessage: (message: TabMessage) => void): TabChannel {
  if (typeof BroadcastChannel === 'undefined') return { post() {}, close() {} };
  const channel = new BroadcastChannel(`guestchat:${tenant}`);
  channel.onmessage = (event: MessageEvent<unknown>) => {
    if (isTabMessage(event.data)) onMessage(event.data);
  };
  return {
    post: (message) => channel.postMessage(message),
    close: () => channel.close(),
  };
}
