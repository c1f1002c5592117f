/**
 * dist/guestchat.js — the one script a site includes. It reads the data-* config, draws the
 * static launcher, installs `window.GuestChat` (calls made before the app loads are queued),
 * and imports the app only on intent: a click (or a hint of one: pointer over or focus on the
 * launcher starts the download), or at once when this browser holds an open conversation or
 * undelivered messages.
 *
 * A classic script: it must stay tiny and import nothing the app imports at run time.
 */
import type { DataAttributes } from './config.ts';
import { createWidget, type AppBundle, type GuestChatApi, type Queued } from './widget.ts';

export type { GuestChatApi, PublicState } from './widget.ts';

declare global {
  interface Window {
    GuestChat?: GuestChatApi | { q?: Queued[] };
  }
}

// Always set while a classic script's top level runs (captured now: boot may run later).
const script = document.currentScript as HTMLScriptElement;

function boot() {
  const earlier = window.GuestChat;
  if (earlier && 'on' in earlier) return; // already installed by another copy of the tag
  // Chunks are resolved against the script's own URL, wherever the site hosts it.
  window.GuestChat = createWidget(
    script.dataset as DataAttributes,
    // One module per adapter (the app and that vendor's code): a page configured for one
    // vendor never downloads another's. The specifier is computed, so the bundler leaves it
    // alone: the loader stays a classic script with no module machinery of its own.
    (adapter) => import(/* @vite-ignore */ new URL(`chunks/${adapter}.js`, script.src).href) as Promise<AppBundle>,
    // The calls the page left in `q` (the README's snippet); anything else there is ignored.
    Array.from((earlier as { q?: Iterable<Queued> | ArrayLike<Queued> } | undefined)?.q ?? []),
  );
}

if (document.body) boot();
else window.addEventListener('DOMContentLoaded', boot); // (the event bubbles from the document)
