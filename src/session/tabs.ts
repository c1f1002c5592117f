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

/** What a tab without BroadcastChannel (or a session without tabs) posts into. */
export const NO_TABS: TabChannel = { post() {}, close() {} };

function isTabMessage(value: unknown): value is TabMessage {
  const message = value as Partial<Record<string, unknown>> | null | undefined;
  switch (message?.type) {
    case 'outbox':
    case 'forget':
      return true;
    case 'seen':
      return Array.isArray(message.ids) && message.ids.every((id) => typeof id === 'string');
    case 'identity':
      return typeof message.subject === 'string';
  }
  return false;
}

export function openTabChannel(tenant: string, onMessage: (message: TabMessage) => void): TabChannel {
  if (typeof BroadcastChannel === 'undefined') return NO_TABS;
  const channel = new BroadcastChannel(`guestchat:${tenant}`);
  channel.onmessage = ({ data }: MessageEvent<unknown>) => {
    if (isTabMessage(data)) onMessage(data);
  };
  return {
    post: (message) => channel.postMessage(message),
    close: () => channel.close(),
  };
}
