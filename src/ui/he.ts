/**
 * Hebrew: its own chunk, fetched only when the configured locale asks for it (strings.ts), so a
 * visitor in another language never downloads these words.
 */
import type { Words } from './strings.ts';

const he: Words = [
  /* dir */ 'rtl',
  /* launcher */ 'פתיחת צ׳אט (chat)',
  /* title */ 'צ׳אט איתנו',
  /* close */ 'סגירת הצ׳אט',
  /* messageLabel */ 'הודעה',
  /* placeholder */ 'הקלידו הודעה…',
  /* send */ 'שליחה',
  /* you */ 'את/ה',
  /* agent */ 'נציג/ה',
  /* agentJoined */ (name) => (name ? `${name} הצטרף/ה לשיחה` : 'נציג/ה הצטרף/ה לשיחה'),
  /* chatEnded */ 'השיחה הסתיימה. שלחו הודעה כדי להתחיל שיחה חדשה.',
  /* agentLeft */ 'הנציג/ה עזב/ה את השיחה. שלחו הודעה כדי להמשיך.',
  /* agentTyping */ 'הנציג/ה מקליד/ה…',
  /* sending */ 'נשלחת…',
  /* sent */ 'נשלחה',
  /* delivered */ 'נמסרה',
  /* read */ 'נקראה',
  /* failed */ 'לא נשלחה',
  /* resend */ 'לשלוח שוב',
  /* connecting */ 'מתחבר…',
  /* reconnecting */ 'מתחבר מחדש… ההודעות יישלחו כשהחיבור יחזור.',
  /* unavailable */ 'הצ׳אט אינו זמין כרגע.',
  /* retry */ 'לנסות שוב',
  /* identityReplaced */ 'לא ניתן היה לחדש את השיחה הקודמת. אפשר להתחיל שיחה חדשה כאן.',
  /* endChat */ 'סיום השיחה',
  /* dismiss */ 'סגירה',
  /* empty */ 'שאלו אותנו כל דבר.',
  /* earlier */ 'הצגת הודעות קודמות',
  /* suggestions */ 'תשובות מוצעות',
  /* surveyQuestion */ 'איך הייתה השיחה?',
  /* surveyScore */ (score) => `${score} מתוך 5`,
  /* surveyThanks */ 'תודה על המשוב!',
  /* surveyFailed */ 'לא ניתן היה לשלוח את הדירוג.',
  /* flashTitle */ (count) => `(${count}) הודעה חדשה`,
];

export default he;
