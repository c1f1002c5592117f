/**
 * The static launcher: a host element with an open shadow root (so the host page's CSS cannot
 * reach in), one button and its unread badge. Drawn by the loader with no framework; the app
 * takes it over through `LauncherHandle` once loaded, so it never flickers or moves.
 *
 * Styles go through a constructable stylesheet (`adoptedStyleSheets`): no <style> element, no
 * style attribute, so a strict CSP without 'unsafe-inline' needs no exception.
 */
import type { LauncherHandle } from '../ui/index.ts';
import type { WidgetOptions } from './config.ts';

// `!important` on :host: in the shadow cascade an inner !important beats the page's, so a host
// page rule like `* { display: block !important }` cannot move or hide the widget.
// `all:initial!important` resets every property (margin, padding, border, width, transform,
// visibility, ...) beyond the page's reach; only the values that differ from the initial ones
// need their own !important.
// The button and badge are grid/absolutely positioned children, so they are blockified: no
// `display:block` needed on the icon.
const LAUNCHER_CSS = `
:host{all:initial!important;position:fixed!important;z-index:2147483000!important;bottom:20px!important;display:block!important}
.launcher{all:initial;display:grid;place-items:center;width:56px;height:56px;border-radius:50%;background:var(--gc-accent,#0b5fff);color:var(--gc-on-accent,#fff);cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}
.launcher:focus-visible{outline:3px solid var(--gc-focus,#ffbf47);outline-offset:3px}
.badge{position:absolute;top:-4px;right:-4px;min-width:20px;padding:0 6px;box-sizing:border-box;border-radius:10px;background:#c4001a;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}
@media (prefers-reduced-motion:no-preference){.launcher{transition:transform .15s}.launcher:hover{transform:scale(1.05)}}
`;

// A constant, never data.
const MARKUP =
  '<button class="launcher" aria-haspopup="dialog" aria-expanded="false"><svg width="28" height="28" fill="currentColor" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg><span class="badge" aria-hidden="true" hidden></span></button>';

export function drawLauncher({ position, color }: WidgetOptions, label: string): LauncherHandle {
  const host = document.createElement('div');
  host.id = 'guestchat';
  host.dataset.position = position;
  const root = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  // The corner ('bottom-left' → left; the panel's CSS follows data-position) and the site's accent colour.
  sheet.replaceSync(`${LAUNCHER_CSS}:host{${position.slice(7)}:20px!important${color ? `;--gc-accent:${color}` : ''}}`);
  root.adoptedStyleSheets = [sheet];
  root.innerHTML = MARKUP;
  const button = root.firstChild as HTMLButtonElement;
  const badge = button.lastChild as HTMLElement;
  (document.body ?? document.documentElement).append(host);
  // In the top layer the widget is laid out against the viewport whatever the page does to its
  // ancestors (a transform or filter on <body> would otherwise capture position: fixed), and no
  // z-index or overflow of the page can cover or clip it. (Without popover support: a no-op.)
  host.popover = 'manual';
  host.showPopover?.();

  const aria = (name: string, value: string) => button.setAttribute(`aria-${name}`, value);
  let unread = 0;
  /** The badge and the accessible name, which says how many replies are unread. */
  const show = (count: number, next: string) => {
    unread = count;
    label = next;
    badge.hidden = !count;
    badge.textContent = count > 99 ? '99+' : `${count}`;
    aria('label', count ? `${next} (${count} unread)` : next);
  };
  show(0, label);

  return {
    host,
    root,
    button,
    setUnread: (count) => show(count, label),
    setExpanded: (open) => aria('expanded', `${open}`),
    setLabel: (next) => show(unread, next),
  };
}
