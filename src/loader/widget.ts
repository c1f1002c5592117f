/**
 * The widget's start-up, shared by both entries (the script tag, src/loader/index.ts, and the
 * ES module, src/loader/module.ts). Loader code: tiny, and it imports nothing the app imports
 * at run time (see vite.config.ts).
 */
import type { VendorConfig } from '../adapters/types.ts';
import type { WidgetHandle, WidgetState } from '../ui/index.ts';
import type { VendorFactory, WidgetEventName } from '../session/index.ts';
import { createBus, type Listener } from './bus.ts';
import { readConfig, type DataAttributes } from './config.ts';
import { drawLauncher } from './launcher.ts';
import { eraseDatabase, hasOpenConversation } from './peek.ts';

/** `window.GuestChat`: the widget's controls plus event subscription, usable before the app loads. */
export interface GuestChatApi extends WidgetHandle {
  on<K extends WidgetEventName>(name: K, listener: Listener<K>): () => void;
}

export type { WidgetState as PublicState };

export type Queued = [keyof GuestChatApi, ...unknown[]];

export type AppModule = typeof import('../ui/index.ts');

/** What a visitor needs after intent: the app's `mount` and the configured vendor's factory. */
export interface AppBundle {
  mount: AppModule['mount'];
  createVendor: VendorFactory;
}

/**
 * How the app and a vendor's code are fetched: one file per adapter for the script tag
 * (`chunks/<adapter>.js`), the bundler's chunks for ESM users.
 */
export type LoadApp = (adapter: VendorConfig['adapter']) => Promise<AppBundle>;

/**
 * Start the widget from its attributes: validate, report problems, draw the launcher, answer
 * the API, and load the app on intent. `queued` are API calls made before this ran.
 */
export function createWidget(data: DataAttributes, load: LoadApp, queued: Queued[] = []): GuestChatApi {
  const parsed = readConfig(data);
  const bus = createBus(parsed.ok && parsed.options.debug);
  let widget: WidgetHandle | undefined;
  let loading: Promise<WidgetHandle | undefined> | undefined;

  const api: GuestChatApi = {
    open: () => void app().then((w) => w?.open()),
    close: () => widget?.close(),
    // Also the launcher's click.
    toggle: () => (widget ? widget.toggle() : api.open()),
    send: (text) => void app().then((w) => w?.send(`${text}`)),
    endConversation: () => widget?.endConversation(),
    forget: async () => {
      const loaded = widget ?? (await loading);
      if (loaded) return loaded.forget();
      // Not loaded here: nothing of this tab is connected. Tabs where the app runs tear down
      // (and close their database) first, so the erase is not blocked and nothing writes it back.
      if (parsed.ok && typeof BroadcastChannel !== 'undefined') {
        const channel = new BroadcastChannel(`guestchat:${parsed.tenant}`);
        channel.postMessage({ type: 'forget' });
        channel.close();
      }
      await eraseDatabase();
    },
    on: bus.on,
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

  /** Replays the queued subscriptions (`on`), or the other queued calls. */
  const replay = (subscriptions: boolean) => {
    for (const [method, ...args] of queued) {
      const fn = api[method] as ((...a: unknown[]) => unknown) | undefined;
      if (typeof fn === 'function' && (method === 'on') === subscriptions) fn(...args);
    }
  };
  // Let listeners queued before the script loaded see configuration errors too.
  replay(true);
  for (const { reason, message } of parsed.issues) {
    console.error(`[GuestChat] ${message} (${reason})`);
    bus.emit('error', { reason, message });
  }
  if (!parsed.ok) return api; // misconfigured: no launcher, the page is left exactly as it was

  const { config, tenant, options } = parsed;
  const launcher = drawLauncher(options, 'Open chat');

  let modules: Promise<AppBundle> | undefined;
  const preload = () => (modules ??= load(config.adapter));

  /** The app, mounted once (again after a failure or a teardown); undefined if it could not load. */
  function app(): Promise<WidgetHandle | undefined> {
    return (loading ??= preload()
      .then(({ mount, createVendor }) =>
        mount({
          launcher,
          config,
          tenant,
          options,
          createVendor,
          emit: bus.emit,
          // forget() here or in another tab tore the app down: the launcher starts afresh on the next intent.
          onTornDown: () => (widget = loading = undefined),
        }),
      )
      .then(
        (handle) => {
          widget = handle;
          bus.emit('ready', { adapter: config.adapter });
          return handle;
        },
        (error: unknown) => {
          loading = modules = undefined;
          console.error('[GuestChat] Could not load the chat', error);
          bus.emit('error', { reason: 'network', message: 'Could not load the chat' });
          return undefined;
        },
      ));
  }

  launcher.button.addEventListener('click', api.toggle);
  // A hint of intent starts the download.
  for (const hint of ['pointerenter', 'focus']) launcher.button.addEventListener(hint, () => void preload().catch(() => {}), { once: true });
  replay(false);

  // A returning visitor with an open conversation is reconnected at once (replies show on the badge).
  void hasOpenConversation(tenant).then((open) => {
    if (open) void app();
  });
  return api;
}
