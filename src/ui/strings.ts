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
  conversationEnded: string;
  sessionEnded: string;
  agentTyping: string;
  sending: string;
  sent: string;
  delivered: string;
  read: string;
  failed: string;
  retrySend: string;
  statusConnecting: string;
  statusReconnecting: string;
  statusError: string;
  retry: string;
  identityReplaced: string;
  endChat: string;
  dismiss: string;
  empty: string;
  showEarlier: string;
  suggestedReplies: string;
  surveyQuestion: string;
  surveyScore: (score: number) => string;
  surveyThanks: string;
  surveyFailed: string;
  flashTitle: (count: number) => string;
}

const en: Strings = {
  dir: 'ltr',
  launcher: 'Open chat',
  title: 'Chat with us',
  close: 'Close chat',
  messageLabel: 'Message',
  placeholder: 'Type a message…',
  send: 'Send',
  you: 'You',
  agent: 'Agent',
  agentJoined: (name) => (name ? `${name} joined the chat` : 'An agent joined the chat'),
  conversationEnded: 'The chat has ended. Send a message to start a new one.',
  sessionEnded: 'The agent has left the chat. Send a message to continue.',
  agentTyping: 'Agent is typing…',
  sending: 'Sending…',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not sent',
  retrySend: 'Retry sending',
  statusConnecting: 'Connecting…',
  statusReconnecting: 'Reconnecting… your messages will be sent when the connection is back.',
  statusError: 'Chat is unavailable right now.',
  retry: 'Try again',
  identityReplaced: 'Your previous chat could not be resumed. You can start a new one here.',
  endChat: 'End chat',
  dismiss: 'Dismiss',
  empty: 'Ask us anything — we usually reply in a few minutes.',
  showEarlier: 'Show earlier messages',
  suggestedReplies: 'Suggested replies',
  surveyQuestion: 'How was your chat?',
  surveyScore: (score) => `${score} of 5${score === 1 ? ' (poor)' : score === 5 ? ' (great)' : ''}`,
  surveyThanks: 'Thanks for your feedback!',
  surveyFailed: 'Your rating could not be sent.',
  flashTitle: (count) => (count === 1 ? '(1) New message' : `(${count}) New messages`),
};

const he: Partial<Strings> = {
  dir: 'rtl',
  launcher: 'פתיחת צ׳אט (chat)',
  title: 'צ׳אט איתנו',
  close: 'סגירת הצ׳אט',
  messageLabel: 'הודעה',
  placeholder: 'הקלידו הודעה…',
  send: 'שליחה',
  you: 'את/ה',
  agent: 'נציג/ה',
  agentJoined: (name) => (name ? `${name} הצטרף/ה לשיחה` : 'נציג/ה הצטרף/ה לשיחה'),
  conversationEnded: 'השיחה הסתיימה. שלחו הודעה כדי להתחיל שיחה חדשה.',
  sessionEnded: 'הנציג/ה עזב/ה את השיחה. שלחו הודעה כדי להמשיך.',
  agentTyping: 'הנציג/ה מקליד/ה…',
  sending: 'נשלחת…',
  sent: 'נשלחה',
  delivered: 'נמסרה',
  read: 'נקראה',
  failed: 'לא נשלחה',
  retrySend: 'לשלוח שוב',
  statusConnecting: 'מתחבר…',
  statusReconnecting: 'מתחבר מחדש… ההודעות יישלחו כשהחיבור יחזור.',
  statusError: 'הצ׳אט אינו זמין כרגע.',
  retry: 'לנסות שוב',
  identityReplaced: 'לא ניתן היה לחדש את השיחה הקודמת. אפשר להתחיל שיחה חדשה כאן.',
  endChat: 'סיום השיחה',
  dismiss: 'סגירה',
  empty: 'שאלו אותנו כל דבר.',
  showEarlier: 'הצגת הודעות קודמות',
  suggestedReplies: 'תשובות מוצעות',
  surveyQuestion: 'איך הייתה השיחה?',
  surveyScore: (score) => `${score} מתוך 5`,
  surveyThanks: 'תודה על המשוב!',
  surveyFailed: 'לא ניתן היה לשלוח את הדירוג.',
  flashTitle: (count) => `(${count}) הודעה חדשה`,
};

const locales: Record<string, Partial<Strings>> = { en, he, iw: he };

export function stringsFor(locale: string): Strings {
  const language = locale.toLowerCase().split('-')[0] ?? 'en';
  return { ...en, ...(locales[language] ?? {}) };
}
