/**
 * The app's hold on the launcher the loader drew (a button in an open shadow root): its
 * localized name, the unread badge and the expanded state. The loader draws only the button, so
 * a visitor who never chats downloads none of this; the badge's style is in PANEL_CSS.
 */
import { effect, type ReadonlySignal } from '@preact/signals-core';
import type { LauncherElements } from './index.ts';

/**
 * Follows the panel's state (expanded; unread count while closed) until the returned function
 * is called, which hands the loader back its bare button.
 */
export function takeOverLauncher({ button }: LauncherElements, label: string, open: ReadonlySignal<boolean>, unread: ReadonlySignal<number>): () => void {
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.setAttribute('aria-hidden', 'true'); // the count is in the button's name
  button.append(badge);
  const show = (expanded: boolean, count: number) => {
    badge.hidden = !count;
    badge.textContent = count > 99 ? '99+' : `${count}`;
    button.setAttribute('aria-label', count ? `${label} (${count} unread)` : label);
    button.setAttribute('aria-expanded', `${expanded}`);
  };
  // The badge counts only while the panel is closed.
  const stop = effect(() => show(open.value, open.value ? 0 : unread.value));
  return () => {
    stop();
    show(false, 0);
    badge.remove();
  };
}
