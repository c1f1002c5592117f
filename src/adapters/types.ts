/**
 * The contract between the vendor-neutral parts of GuestChat (auth lifecycle, session, UI) and
 * one vendor. An adapter knows *how* to talk to its vendor; *when* to issue, reuse, refresh or
 * replace a token is decided elsewhere (auth/plan.ts).
 *
 * All times are epoch milliseconds on the widget's corrected clock (see `Clock`).
 */
import type { GuestChatError } from '../errors.ts';

export type AdapterName = 'liveperson' | 'salesforce' | 'liveperson-connector';

export interface LivePersonConfig {
  adapter: 'liveperson';
  /** LivePerson account (site) id, digits. */
  account: string;
  /** The account's unauthenticated messaging connector id. */
  connectorId: string;
  /** Domain API origin, no trailing slash. Defaults to https://api.liveperson.net. */
  domainApi: string;
}

export interface SalesforceConfig {
  adapter: 'salesforce';
  /** SCRT base URL, no trailing slash. */
  scrtUrl: string;
  /** Org id as configured (15 or 18 characters). */
  orgId: string;
  /** Embedded Service deployment API name (esDeveloperName). */
  deployment: string;
}

/**
 * LivePerson through the brand's own broker (Connector API): the broker holds the app
 * credentials; the widget only knows the broker's URL.
 */
export interface LivePersonConnectorConfig {
  adapter: 'liveperson-connector';
  /** The broker's base URL, no trailing slash. */
  brokerUrl: string;
}

export type VendorConfig = LivePersonConfig | SalesforceConfig | LivePersonConnectorConfig;


/**
 * An anonymous identity and its current external token. LivePerson: the IdP's external JWT
 * (opaque to us). Salesforce: the guest access token itself.
 */
export interface Identity {
  token: string;
  /** The subject behind the identity, once known (LivePerson learns it from the exchanged token). */
  subject?: string;
  /** First issue of this identity: the refresh window is counted from here. */
  issuedAt: number;
  /** When the current external token stops being accepted as is. */
  expiresAt: number;
  /** After this instant the identity can no longer be renewed: a new one must be issued. */
  windowEndsAt: number;
}

/** The token the messaging API takes (LivePerson consumer JWT; Salesforce guest token). */
export interface AccessToken {
  token: string;
  /** `sub` of the token: LivePerson consumerId; Salesforce identity subject. */
  subject: string;
  issuedAt: number;
  expiresAt: number;
}

export interface AuthAdapter {
  /** A new anonymous identity. */
  issue(): Promise<Identity>;
  /** The same subject with a new token, inside the refresh window. */
  refresh(identity: Identity): Promise<Identity>;
  /** The access token the messaging API takes, for this identity. */
  exchange(identity: Identity): Promise<AccessToken>;
}

/** Where to resume a conversation from. `cursor` is opaque to everyone but the adapter. */
export interface ResumePoint {
  conversationId: string;
  cursor?: string;
}

export type Sender = 'visitor' | 'agent' | 'system';

/** A suggested answer the agent offers (LivePerson quick replies, Salesforce QuickReplies choices). */
export interface QuickReply {
  /** The chip's label. */
  title: string;
  /** What is sent when the visitor taps it (often the title). */
  text: string;
  /** Vendor data to send back with the answer (LivePerson `click.metadata`), opaque to the session. */
  metadata?: unknown[];
}

export interface ChatMessage {
  /** Stable vendor id of the stored message (LivePerson `<dialogId>:<sequence>`). */
  id: string;
  /** Our client id, when the message is the visitor's and we can tell which send it was. */
  clientId?: string;
  from: Sender;
  text: string;
  /** Server timestamp. */
  at: number;
  /** Display name of the sender, when the vendor gives one. */
  senderName?: string;
  /** Picture of the sender (https, or the vendor's own origin), when the vendor gives one. */
  senderAvatar?: string;
  /** Answers the agent suggests; shown until the visitor answers. */
  quickReplies?: QuickReply[];
}

export type TransportEvent =
  /** A conversation is open and this connection is attached to it (new or resumed). */
  | { type: 'conversation-open'; conversationId: string }
  | { type: 'message'; message: ChatMessage; cursor: string }
  | { type: 'receipt'; messageIds: string[]; status: 'delivered' | 'read' }
  /** The visitor has read these agent messages (in this tab, another one, or before a reload). */
  | { type: 'seen'; messageIds: string[] }
  | { type: 'typing'; on: boolean }
  | { type: 'agent-joined'; name?: string; avatar?: string }
  | { type: 'conversation-closed'; conversationId: string; by?: 'visitor' | 'agent' | 'system' }
  /** The agent side ended the messaging session; the conversation stays open (Salesforce). */
  | { type: 'session-ended'; conversationId: string }
  /** The server refused the access token (LP close 4401/4407/1008/1011, SF 401). Renew, then reconnect. */
  | { type: 'auth-expired'; code?: number }
  /** The connection ended for another reason; back off and reconnect with the same token. */
  | { type: 'disconnected'; code?: number; reason?: string }
  /** Something from the server could not be understood; it was ignored. */
  | { type: 'protocol-error'; error: GuestChatError };

export interface SendReceipt {
  /** The stored message id (the same id the echo carries). */
  id: string;
  at: number;
}

/** A send that answers a quick reply: the message it answers and the reply's vendor data. */
export interface ReplyTo {
  messageId: string;
  metadata?: unknown[];
}

export interface Connection {
  /** The conversation this connection is attached to, if one is open. */
  readonly conversationId: string | undefined;
  /** Send text; opens a conversation first when none is open. Resolves once the server stored it. */
  send(text: string, clientId: string, replyTo?: ReplyTo): Promise<SendReceipt>;
  /**
   * Rate a conversation that has just ended, 1 (poor) to 5 (great), where the vendor has a
   * post-chat survey (LivePerson's CSAT). Absent where it has none.
   */
  rate?(conversationId: string, score: 1 | 2 | 3 | 4 | 5): Promise<void>;
  /** Tell the agent the visitor is (or stopped) typing. Fire and forget. */
  typing(on: boolean): void;
  /** The visitor has seen these agent messages. Fire and forget. */
  markRead(messageIds: string[]): void;
  /** End the conversation for everyone. */
  endConversation(): Promise<void>;
  /** Close the connection (our own close: no `disconnected` event follows). */
  close(): void;
}

export interface Transport {
  /**
   * Open a connection with this access token. `resume` names a conversation this identity had
   * open: the transport re-attaches to it from `cursor` (history before the cursor is not
   * replayed), or without a cursor replays it whole. Rejects with a GuestChatError whose reason
   * is `auth-rejected` when the token was refused.
   */
  connect(access: AccessToken, resume: ResumePoint | undefined, onEvent: (event: TransportEvent) => void): Promise<Connection>;
  /** How long to wait before reconnect attempt `attempt` (0-based) after a transient drop. */
  retryDelayMs(attempt: number): number;
}

/** Everything one vendor provides. Loaded as its own chunk, only for pages configured for it. */
export interface Vendor {
  auth: AuthAdapter;
  transport: Transport;
}

/** What each vendor module exports as `createVendor`: one chunk per vendor, loaded on intent. */
export type VendorFactory = (config: VendorConfig, clock: Clock) => Vendor;

/** The corrected clock: server time as best we know it. */
export interface Clock {
  now(): number;
  /** Record a server time reading (e.g. LivePerson GetClock) taken at local time `localAt`. */
  observeServerTime(serverNow: number, localAt?: number): void;
}
