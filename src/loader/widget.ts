/**
 * The widget's start-up, shared by both entries (the script tag, src/loader/index.ts, and the
 * ES module, src/loader/module.ts). Loader code: tiny; at run time it imports only leaf modules
 * (no framework, nothing of the app's state).
 */
import type { VendorConfig } from '../adapters/types.ts';
import type { ReasonCode } from '../errors.ts';
import type { WidgetHandle, WidgetState } from '../ui/index.ts';
import type { VendorFactory, WidgetEventName } from '../session/index.ts';
import { createBus, type Listener } from './bus.ts';
import { readConfig, type DataAttributes } from './config.ts';
import { drawLauncher } from './launcher.ts';
import { wakeOnLoad } from '../session/wake.ts';

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
  const [on, emit] = createBus();
  let widget: WidgetHandle | undefined;
  let loading: Promise<void> | undefined;
  // The app, loaded (once) on demand; misconfigured, there is none.
  let app = async () => {};
  // Every problem goes to the console and to the `error` event.
  const report = (reason: ReasonCode, message: string, ...detail: unknown[]) => {
    console.error(`[GuestChat] ${message} (${reason})`, ...detail);
    emit('error', { reason, message });
  };
  // Subscriptions queued before the script ran come first, so they hear the configuration's problems.
  for (const [method, ...args] of queued) if (method === 'on') (on as (...a: unknown[]) => void)(...args);
  const parsed = readConfig(data, report);

  const api: GuestChatApi = {
    open: () => void app().then(() => widget?.open()),
    close: () => widget?.close(),
    toggle: () => (widget ? widget.toggle() : api.open()),
    send: (text) => void app().then(() => widget?.send(`${text}`)),
    endConversation: () => widget?.endConversation(),
    // Not loaded in this tab, the app is loaded to erase (and to tell the tabs where it runs).
    // Nothing of it starts a chat: had this browser an open conversation or unsent messages,
    // the app would already be running (src/session/wake.ts).
    forget: () => app().then(() => widget?.forget()),
    on,
    state: () =>
      widget?.state() ?? {
        loaded: false,
        open: false,
        status: 'idle',
        unread: 0,
        conversationId: null,
        adapter: parsed?.config.adapter ?? null,
      },
  };

  if (parsed) {
    const { adapter } = parsed.config;
    const launcher = drawLauncher(parsed.options);
    app = () =>
      // Asked again (a hint came first), import() hands back the module it has or is fetching:
      // one download.
      (loading ??= load(adapter)
        // The chunk's exports (mount, createVendor) go along: the app takes createVendor from them.
        .then((chunk) => chunk.mount({ ...parsed, ...chunk, launcher, emit, onTornDown: () => (widget = loading = undefined) }))
        .then(
          (handle) => {
            widget = handle;
            emit('ready', { adapter });
          },
          (error: unknown) => {
            loading = undefined;
            report('network', 'Chat failed to load', error);
          },
        ));
    const { button } = launcher;
    button.onclick = api.toggle;
    // A hint of intent starts the download, so the click finds the app (nearly) ready.
    button.onpointerenter = button.onfocus = () => void load(adapter).catch(() => {});
    // A returning visitor with an open conversation or unsent messages is reconnected at once
    // (replies show on the badge): the app leaves a mark for this (src/session/wake.ts).
    if (wakeOnLoad(parsed.tenant)) void app();
  }
  // The other calls queued before the script ran, in order. Misconfigured, there is no launcher
  // and the page is left exactly as it was; the API answers harmlessly.
  for (const [method, ...args] of queued) {
    if (method !== 'on' && Object.hasOwn(api, method)) (api[method] as (...a: unknown[]) => unknown)(...args);
  }
  return api;
}
