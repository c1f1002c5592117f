/**
 * The app side's entry, imported by the loader on intent: mounts the panel into the launcher's
 * shadow root, boots the session, and hands the loader a handle for the public JS API.
 */
import { effect } from '@preact/signals';
import { h, render } from 'preact';
import type { VendorConfig } from '../adapters/types.ts';
import { bootSession, type Emit, type VendorFactory, type WidgetStatus } from '../session/index.ts';
import { App } from './App.tsx';
import { drawAttention } from './attention.ts';
import { loadStrings } from './strings.ts';
import { PANEL_CSS } from './styles.ts';
import { followVisualViewport } from './viewport.ts';

/** The static launcher the loader drew; the app takes it over (badge, expanded state, label). */
export interface LauncherHandle {
  readonly host: HTMLElement;
  readonly root: ShadowRoot;
  readonly button: HTMLButtonElement;
  setUnread(count: number): void;
  setExpanded(open: boolean): void;
  /** Accessible name (localized by the app once it has its strings). */
  setLabel(label: string): void;
}

/** What the loader hands over: its launcher (it keeps drawing it) and the validated config. */
export interface MountOptions {
  launcher: LauncherHandle;
  config: VendorConfig;
  tenant: string;
  options: { locale: string; title?: string; sound?: boolean };
  createVendor: VendorFactory;
  emit: Emit;
  /** The app removed itself (forget() here or in another tab); a new mount may follow. */
  onTornDown?: () => void;
}

export interface WidgetState {
  loaded: boolean;
  open: boolean;
  status: WidgetStatus;
  unread: number;
  conversationId: string | null;
  adapter: string | null;
}

/** The widget's controls, as the public API exposes them. */
export interface WidgetHandle {
  open(): void;
  close(): void;
  toggle(): void;
  send(text: string): void;
  endConversation(): void;
  /** Erase everything GuestChat stored in this browser. */
  forget(): Promise<void>;
  state(): WidgetState;
}

export async function mount(init: MountOptions): Promise<WidgetHandle> {
  const { launcher, config, tenant, options, emit, onTornDown } = init;
  let teardown = () => {};
  // The words (a translation is a chunk of its own to fetch) and the session load side by side.
  const [strings, { session, forget, resumable }] = await Promise.all([
    loadStrings(options.locale),
    bootSession({ ...init, onForgottenElsewhere: () => teardown() }),
  ]);
  const { panelOpen, unread } = session;
  const { root } = launcher;

  const sheet = new CSSStyleSheet();
  sheet.replaceSync(PANEL_CSS);
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  launcher.setLabel(strings.launcher);
  const container = document.createElement('div');
  container.dir = strings.dir;
  container.lang = options.locale;
  root.append(container);

  const setOpen = (open: boolean) => {
    if (panelOpen.peek() === open) return;
    session.setPanelOpen(open);
    launcher.setExpanded(open);
    emit(open ? 'open' : 'close', {});
    // Focus returns to the launcher on close (the panel focuses its input on open).
    if (!open) launcher.button.focus();
  };

  const stops = [
    effect(() => launcher.setUnread(panelOpen.value ? 0 : unread.value)),
    followVisualViewport(container),
    drawAttention({ tenant, unread, sound: Boolean(options.sound), flashTitle: strings.flashTitle }),
  ];
  render(h(App, { session, strings, title: options.title ?? strings.title, onClose: () => setOpen(false) }), container);

  teardown = () => {
    stops.forEach((stop) => stop());
    render(null, container);
    container.remove();
    launcher.setUnread(0);
    launcher.setExpanded(false);
    root.adoptedStyleSheets = root.adoptedStyleSheets.filter((s) => s !== sheet);
    teardown = () => {};
    onTornDown?.();
  };

  // A stored open conversation (or unsent messages) is resumed right away, panel closed: replies
  // show on the badge. Otherwise nothing starts before the visitor opens the panel or sends.
  if (resumable) void session.start();

  return {
    open: () => setOpen(true),
    close: () => setOpen(false),
    toggle: () => setOpen(!panelOpen.peek()),
    send: (text) => session.send(text),
    endConversation: () => void session.endConversation(),
    async forget() {
      teardown();
      await forget();
    },
    state: () => ({
      loaded: true,
      open: panelOpen.peek(),
      status: session.status.peek(),
      unread: unread.peek(),
      conversationId: session.conversationId.peek() ?? null,
      adapter: config.adapter,
    }),
  };
}
