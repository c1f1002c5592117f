/**
 * The app side's entry, imported by the loader on intent: mounts the panel into the launcher's
 * shadow root, boots the session, and hands the loader a handle for the public JS API.
 */
// The panel first: the bundle lays modules out in import order and gives the first ones the
// shortest top-level names, best spent on the framework's (signals-core, preact) used everywhere.
import { drawPanel } from './panel.tsx';
import type { VendorConfig } from '../adapters/types.ts';
import { bootSession, type Emit, type VendorFactory, type WidgetStatus } from '../session/index.ts';
import { drawAttention } from './attention.ts';
import { takeOverLauncher } from './launcher.ts';
import { loadStrings } from './strings.ts';
import { PANEL_CSS } from './styles.ts';
import { followVisualViewport } from './viewport.ts';

/** The static launcher the loader drew: a host element, its open shadow root and the button. */
export interface LauncherElements {
  readonly host: HTMLElement;
  readonly root: ShadowRoot;
  readonly button: HTMLButtonElement;
}

/** What the loader hands over: its launcher (it keeps drawing it) and the validated config. */
export interface MountOptions {
  launcher: LauncherElements;
  config: VendorConfig;
  tenant: string;
  /** The tag's presentation attributes: the language (checked by the loader), and title, sound and debug as written. */
  options: { locale: string; title?: string; sound?: string; debug?: string };
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

/** A flag attribute: present and not "false" (`data-sound`, `data-sound="true"`). */
const flag = (value?: string) => value !== undefined && value !== 'false';

export async function mount({ launcher: elements, config, tenant, options, createVendor, emit: publish, onTornDown }: MountOptions): Promise<WidgetHandle> {
  // data-debug: every event the widget publishes is also logged.
  const emit: Emit = flag(options.debug)
    ? (name, detail) => {
        console.debug('[GuestChat]', name, detail);
        publish(name, detail);
      }
    : publish;
  let teardown = () => {};
  // The words (a translation is a chunk of its own to fetch) and the session load side by side.
  const [strings, { session, forget, resumable }] = await Promise.all([
    loadStrings(options.locale),
    bootSession({ config, tenant, createVendor, emit, onForgottenElsewhere: () => teardown() }),
  ]);
  const { panelOpen, unread } = session;
  const { root, button } = elements;

  const sheet = new CSSStyleSheet();
  sheet.replaceSync(PANEL_CSS);
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  const container = document.createElement('div');
  container.dir = strings.dir;
  container.lang = options.locale;
  root.append(container);

  const setOpen = (open: boolean) => {
    if (panelOpen.peek() === open) return;
    session.setPanelOpen(open);
    emit(open ? 'open' : 'close', {});
    // Focus returns to the launcher on close (the panel focuses its input on open).
    if (!open) button.focus();
  };

  const stops = [
    takeOverLauncher(elements, strings.launcher, panelOpen, unread),
    followVisualViewport(container),
    drawAttention(tenant, unread, flag(options.sound), strings.flashTitle),
    drawPanel(container, { session, strings, title: options.title?.trim().slice(0, 80) || strings.title, onClose: () => setOpen(false) }),
  ];

  teardown = () => {
    stops.forEach((stop) => stop());
    container.remove();
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
    send: session.send,
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
