/**
 * Split message text into plain runs and links. Only http, https and mailto become links —
 * agent text is data, never markup, so nothing else (javascript:, data:, ...) is ever clickable.
 */
export type TextPart = { text: string } | { text: string; href: string };

// A candidate starts with its scheme, so what parses as a URL is http, https or mailto.
const CANDIDATE = /\b(?:https?:\/\/|mailto:)[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/;

export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    // Sentence punctuation right after a URL belongs to the sentence, not the link.
    const candidate = match[0].replace(TRAILING, '');
    let href;
    try {
      href = new URL(candidate).href;
    } catch {
      continue;
    }
    if (start > last) parts.push({ text: text.slice(last, start) });
    parts.push({ text: candidate, href });
    last = start + candidate.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}
