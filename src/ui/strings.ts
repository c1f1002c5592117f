/** The widget's words. English is the source; a locale overrides what it translates. */
export interface Strings {
  dir: 'ltr' | 'rtl';
  launcher: string;
  title: string;
  close: string;
  messageLabel: string;
  placeholder: string;
  send: string;
  you: string;
  agent: string;
  agentJoined: (name?: string) => string;
  chatEnded: string;
  agentLeft: string;
  agentTyping: string;
  sending: string;
  sent: string;
  delivered: string;
  read: string;
  failed: string;
  resend: string;
  connecting: string;
  reconnecting: string;
  unavailable: string;
  retry: string;
  identityReplaced: string;
  endChat: string;
  dismiss: string;
  empty: string;
  earlier: string;
  suggestions: string;
  surveyQuestion: string;
  surveyScore: (score: number) => string;
  surveyThanks: string;
  surveyFailed: string;
  flashTitle: (count: number) => string;
}

/**
 * The order every language lists its words in. A table is written as a list in this order, not
 * as an object, so a translation's chunk carries its words without the keys (~230 B gzip less).
 */
const KEYS = [
  'dir',
  'launcher',
  'title',
  'close',
  'messageLabel',
  'placeholder',
  'send',
  'you',
  'agent',
  'agentJoined',
  'chatEnded',
  'agentLeft',
  'agentTyping',
  'sending',
  'sent',
  'delivered',
  'read',
  'failed',
  'resend',
  'connecting',
  'reconnecting',
  'unavailable',
  'retry',
  'identityReplaced',
  'endChat',
  'dismiss',
  'empty',
  'earlier',
  'suggestions',
  'surveyQuestion',
  'surveyScore',
  'surveyThanks',
  'surveyFailed',
  'flashTitle',
] as const satisfies readonly (keyof Strings)[];
// Every key of Strings is in KEYS (a compile error names a missing one).
type Complete<Missing extends never> = Missing;
export type CheckKeys = Complete<Exclude<keyof Strings, (typeof KEYS)[number]>>;

type Table<K extends readonly (keyof Strings)[]> = { -readonly [I in keyof K]: Strings[K[I]] };
/** A language's words, in KEYS order. */
export type Words = Table<typeof KEYS>;

const en: Words = [
  /* dir */ 'ltr',
  /* launcher */ 'Open chat',
  /* title */ 'Chat with us',
  /* close */ 'Close chat',
  /* messageLabel */ 'Message',
  /* placeholder */ 'Type a message…',
  /* send */ 'Send',
  /* you */ 'You',
  /* agent */ 'Agent',
  /* agentJoined */ (name) => (name ? `${name} joined the chat` : 'An agent joined the chat'),
  /* chatEnded */ 'The chat has ended. Send a message to start a new one.',
  /* agentLeft */ 'The agent has left the chat. Send a message to continue.',
  /* agentTyping */ 'Agent is typing…',
  /* sending */ 'Sending…',
  /* sent */ 'Sent',
  /* delivered */ 'Delivered',
  /* read */ 'Read',
  /* failed */ 'Not sent',
  /* resend */ 'Retry sending',
  /* connecting */ 'Connecting…',
  /* reconnecting */ 'Reconnecting… your messages will be sent when the connection is back.',
  /* unavailable */ 'Chat is unavailable right now.',
  /* retry */ 'Try again',
  /* identityReplaced */ 'Your previous chat could not be resumed. You can start a new one here.',
  /* endChat */ 'End chat',
  /* dismiss */ 'Dismiss',
  /* empty */ 'Ask us anything — we usually reply in a few minutes.',
  /* earlier */ 'Show earlier messages',
  /* suggestions */ 'Suggested replies',
  /* surveyQuestion */ 'How was your chat?',
  /* surveyScore */ (score) => `${score} of 5${score === 1 ? ' (poor)' : score === 5 ? ' (great)' : ''}`,
  /* surveyThanks */ 'Thanks for your feedback!',
  /* surveyFailed */ 'Your rating could not be sent.',
  /* flashTitle */ (count) => (count === 1 ? '(1) New message' : `(${count}) New messages`),
];

/**
 * The languages other than English, each a chunk of its own loaded on demand ("iw" is Hebrew's
 * old code). A translation that cannot be fetched leaves the words English.
 */
const hebrew = () => import('./he.ts');
const LOCALES = new Map([
  ['he', hebrew],
  ['iw', hebrew],
]);

/** The widget's words for a locale ("he-IL", "en", ...): English unless the language has a translation. */
export async function loadStrings(locale: string): Promise<Strings> {
  const load = LOCALES.get(locale.toLowerCase().split('-')[0]!);
  // A translation that cannot be fetched leaves the panel in English rather than not there at all.
  const words = (load && (await load().catch(() => undefined))?.default) || en;
  // KEYS and Words line up key by key.
  return Object.fromEntries(KEYS.map((key, i) => [key, words[i]])) as unknown as Strings;
}
