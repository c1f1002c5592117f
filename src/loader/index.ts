/**
 * dist/guestchat.js — the one script a site includes. It reads the data-* config, draws the
 * static launcher, installs `window.GuestChat` (calls made before the app loads are queued),
 * and imports the app only on intent: a click (or a hint of one: pointer over or focus on the
 * launcher starts the download), or at once when this browser holds an open conversation.
 *
 * It must stay tiny and import nothing the app also imports at run time (see vite.config.ts).
 */
import type { VendorConfig } from '../adapters/types.ts';
import type { WidgetHandle, WidgetState } from '../ui/index.ts';
import type { VendorFactory, WidgetEventName } from '../session/index.ts';
import { createBus, type Listener } from './bus.ts';
import { readConfig, type DataAttributes } from './config.ts';
import { drawLauncher } from './launcher.ts';
import { hasOpenConversation } from './peek.ts';

/** `window.GuestChat`: the widget's controls plus event subscription, usable before the app loads. */
export interface GuestChatApi extends WidgetHandle {
  on<K extends WidgetEventName>(name: K, listener: Listener<K>): () => void;
}

export type { WidgetState as PublicState };

type Queued = [keyof GuestChatApi, ...unknown[]];

declare global {
  interface Window {
    GuestChat?: GuestChatApi | { q?: Queued[] };
  }
}

type AppModule = typeof import('../ui/index.ts');

/**
 * Import a built module beside this script. The specifier is computed, so the bundler leaves
 * it alone: the loader stays a classic script with no module machinery of its own.
 */
function importBeside<T>(base: string, file: string): Promise<T> {
  return import(/* @vite-ignore */ new URL(file, base).href) as Promise<T>;
}

function loadVendor(base: string, config: VendorConfig): Promise<VendorFactory> {
  // One module per vendor: a page configured for one never downloads the other.
  switch (config.adapter) {
    case 'liveperson':
      return importBeside<{ createLivePersonVendor: VendorFactory }>(base, 'chunks/liveperson.js').then((m) => m.createLivePersonVendor);
    case 'salesforce':
      return importBeside<{ createSalesforceVendor: VendorFactory }>(base, 'chunks/salesforce.js').then((m) => m.createSalesforceVendor);
  }
}

function boot(script: HTMLScriptElement | null) {
  const earlier = window.GuestChat;
  if (earlier && 'state' in earlier) return; // already installed by another copy of the tag
  const queued: Queued[] = (earlier && 'q' in earlier && Array.isArray(earlier.q) ? earlier.q : []).slice();

  const parsed = readConfig((script?.dataset ?? {}) as DataAttributes);
  const debug = parsed.ok && parsed.options.debug;
  const bus = createBus(() => debug);
  let widget: WidgetHandle | undefined;
  let loading: Promise<WidgetHandle | undefined> | undefined;

  const api: GuestChatApi = {
    open: () => void ensureApp(true),
    close: () => widget?.close(),
    toggle: () => (widget ? widget.toggle() : void ensureApp(true)),
    send: (text) => void ensureApp(false).then((w) => w?.send(String(text))),
    endConversation: () => widget?.endConversation(),
    forget: async () => {
      if (widget) return widget.forget();
      // Not loaded: nothing is connected, only storage to erase.
      if (typeof indexedDB !== 'undefined') indexedDB.deleteDatabase('guestchat');
    },
    on: (name, listener) => bus.on(name, listener),
    state: () =>
      widget?.state() ?? {
        loaded: false,
        open: false,
        status: 'idle',
        unread: 0,
        conversationId: null,
        adapter: parsed.ok ? parsed.config.adapter : null,
      },
  };
  window.GuestChat = api;

  for (const issue of parsed.issues) {
    console.error(`[GuestChat] ${issue.message} (${issue.reason})`);
  }
  // Let listeners queued before the script loaded see configuration errors too.
  replay(queued.filter(([method]) => method === 'on'));
  for (const issue of parsed.issues) bus.emit('error', { reason: issue.reason, message: issue.message });
  if (!parsed.ok) return; // misconfigured: no launcher, the page is left exactly as it was

  const { config, tenant, options } = parsed;
  const launcher = drawLauncher(options, 'Open chat');

  // Chunks are resolved against the script's own URL, wherever the site hosts it.
  const base = script?.src || new URL('/dist/guestchat.js', location.href).href;
  let modules: Promise<[AppModule, VendorFactory]> | undefined;
  const preload = () => (modules ??= Promise.all([importBeside<AppModule>(base, 'chunks/app.js'), loadVendor(base, config)]));

  function ensureApp(open: boolean): Promise<WidgetHandle | undefined> {
    loading ??= preload()
      .then(([ui, createVendor]) =>
        ui.mount({ launcher, config, tenant, options, createVendor, emit: bus.emit }).then((handle) => {
          widget = handle;
          bus.emit('ready', { adapter: config.adapter });
          return handle;
        }),
      )
      .catch((error: unknown) => {
        loading = undefined;
        modules = undefined;
        const message = error instanceof Error ? error.message : String(error);
        console.error(`[GuestChat] could not load the chat: ${message}`);
        bus.emit('error', { reason: 'network', message: 'Could not load the chat' });
        return undefined;
      });
    return loading.then((handle) => {
      if (open) handle?.open();
      return handle;
    });
  }

  launcher.button.addEventListener('click', () => {
    if (widget) widget.toggle();
    else void ensureApp(true);
  });
  launcher.button.addEventListener('pointerenter', () => void preload().catch(() => {}), { once: true });
  launcher.button.addEventListener('focus', () => void preload().catch(() => {}), { once: true });

  function replay(calls: Queued[]) {
    for (const [method, ...args] of calls) {
      const fn = api[method] as ((...a: unknown[]) => unknown) | undefined;
      if (typeof fn === 'function') fn(...args);
    }
  }
  replay(queued.filter(([method]) => method !== 'on'));

  // A returning visitor with an open conversation is reconnected at once (replies show on the badge).
  void hasOpenConversation(tenant).then((open) => {
    if (open) void ensureApp(false);
  });
}

function start() {
  const script = document.currentScript as HTMLScriptElement | null;
  if (document.body) boot(script);
  else document.addEventListener('DOMContentLoaded', () => boot(script), { once: true });
}

start();
