/**
 * The app's hold on the launcher the loader drew (a button in an open shadow root): its
 * localized name, the unread badge and the expanded state. The loader draws only the button, so
 * a visitor who never chats downloads none of this; the badge's style is in PANEL_CSS.
 */
import type { LauncherElements } from './index.ts';

export interface Launcher {
  setUnread(count: number): void;
  setExpanded(open: boolean): void;
  /** Back to the loader's bare button (the app tore itself down). */
  release(): void;
}

export function takeOverLauncher({ button }: LauncherElements, label: string): Launcher {
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.setAttribute('aria-hidden', 'true'); // the count is in the button's name
  button.append(badge);
  const setUnread = (count: number) => {
    badge.hidden = !count;
    badge.textContent = count > 99 ? '99+' : `${count}`;
    button.setAttribute('aria-label', count ? `${label} (${count} unread)` : label);
  };
  const setExpanded = (open: boolean) => button.setAttribute('aria-expanded', `${open}`);
  setUnread(0);
  return {
    setUnread,
    setExpanded,
    release() {
      setUnread(0);
      setExpanded(false);
      badge.remove();
    },
  };
}
