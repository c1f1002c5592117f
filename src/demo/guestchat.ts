/**
 * The demo's view of the widget's public API (`window.GuestChat`). Only types come from the
 * widget's source: at run time the demo uses the widget exactly as a site would, through the
 * script tag and the global.
 */
import type { GuestChatApi } from '../loader/index.ts';
export const EVENT_NAMES = ['ready', 'open', 'close', 'message', 'status', 'conversation', 'token', 'identity-replaced', 'error'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export type { WidgetState } from '../ui/index.ts';
export type GuestChatLike = Omit<GuestChatApi, 'on'> & {
  on(name: EventName, listener: (detail: unknown) => void): () => void;
};

type QueuedCall = [string, ...unknown[]];
interface Stub {
  q: QueuedCall[];
}

const host = window as unknown as { GuestChat?: unknown };

/** The installed API, or undefined while the script has not run (or failed to load). */
export function guestChat(): GuestChatLike | undefined {
  const value = host.GuestChat;
  if (typeof value === 'object' && value !== null && typeof (value as Partial<GuestChatLike>).state === 'function') {
    return value as GuestChatLike;
  }
  return undefined;
}

/**
 * Subscribes to every public event before the script runs, through the documented queue
 * (`window.GuestChat = { q: [] }`), so `ready` and early configuration errors are seen too.
 * If the API is already installed, subscribes directly.
 */
export function listenToAllEvents(listener: (name: EventName, detail: unknown) => void): void {
  const api = guestChat();
  if (api) {
    for (const name of EVENT_NAMES) api.on(name, (detail) => listener(name, detail));
    return;
  }
  const existing = host.GuestChat;
  const stub: Stub =
    typeof existing === 'object' && existing !== null && Array.isArray((existing as Partial<Stub>).q) ? (existing as Stub) : { q: [] };
  for (const name of EVENT_NAMES) stub.q.push(['on', name, (detail: unknown) => listener(name, detail)]);
  host.GuestChat = stub;
}

/** Inserts the widget's script tag, as a site would write it, with these data-* attributes. */
export function embedWidget(dataset: Record<string, string>, report: (problem: string, detail?: unknown) => void): HTMLScriptElement {
  const src = '/dist/guestchat.js';
  const script = document.createElement('script');
  script.async = true;
  script.src = src;
  for (const [key, value] of Object.entries(dataset)) script.dataset[key] = value;
  script.addEventListener('error', () => report(`${src} failed to load`, { hint: 'run `npm run build` (npm start does it for you)' }), { once: true });
  script.addEventListener(
    'load',
    () => {
      if (!guestChat()) report(`${src} ran but did not install window.GuestChat`);
    },
    { once: true },
  );
  // A script error in the widget's own files is worth seeing here, not only in the console.
  window.addEventListener('error', (event) => {
    if (typeof event.filename === 'string' && event.filename.includes('/dist/')) {
      report('uncaught error in the widget', { message: event.message, file: event.filename.replace(location.origin, ''), line: event.lineno });
    }
  });
  window.addEventListener('unhandledrejection', (event) => {
    const reason: unknown = event.reason;
    const stack = reason instanceof Error ? (reason.stack ?? '') : '';
    if (stack.includes('/dist/')) report('unhandled rejection in the widget', { message: reason instanceof Error ? reason.message : String(reason) });
  });
  document.head.append(script);
  return script;
}
