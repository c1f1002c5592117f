/**
 * The static launcher: a host element with an open shadow root (so the host page's CSS cannot
 * reach in) holding one button. Drawn by the loader with no framework; the app takes it over
 * once loaded (src/ui/launcher.ts: localized name, unread badge, expanded state), so it never
 * flickers or moves.
 *
 * Styles go through a constructable stylesheet (`adoptedStyleSheets`): no <style> element, no
 * style attribute, so a strict CSP without 'unsafe-inline' needs no exception.
 */
import type { LauncherElements } from '../ui/index.ts';
import type { WidgetOptions } from './config.ts';

// `!important` on :host: in the shadow cascade an inner !important beats the page's, so a host
// page rule like `* { display: block !important }` cannot move or hide the widget.
// `all:initial!important` resets every property (margin, padding, border, width, transform,
// visibility, ...) beyond the page's reach; only the values that differ from the initial ones
// need their own !important. (display needs none: a fixed box is blockified whatever its display.)
// The icon is a grid item, so it is blockified: no `display:block` needed; it takes its colour
// from the button (fill is inherited). The button is the 28px icon plus 14px padding (content-box,
// from `all:initial`): 56px square, the icon centred. The app's unread badge (absolutely
// positioned) takes the fixed :host, the button's own box, as its containing block.
const HOST_CSS = `:host{all:initial!important;position:fixed!important;z-index:2147483000!important;bottom:20px!important`;
const LAUNCHER_CSS = `.launcher{all:initial;display:grid;padding:14px;border-radius:50%;background:var(--gc-accent,#0b5fff);fill:var(--gc-on-accent,#fff);cursor:pointer;box-shadow:0 4px 14px #0004}\
.launcher:hover{filter:brightness(1.1)}\
.launcher:focus-visible{outline:3px solid var(--gc-focus,#ffbf47);outline-offset:3px}`;

// A constant, never data (HTML: quotes only where a value has a space).
const MARKUP =
  '<button class=launcher aria-label="Open chat" aria-haspopup=dialog aria-expanded=false><svg width=28 height=28 viewBox="0 0 24 24"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg></button>';

export function drawLauncher({ position, color }: WidgetOptions): LauncherElements {
  const host = document.createElement('div');
  host.id = 'guestchat';
  host.dataset.position = position;
  const root = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`${HOST_CSS};${position.slice(7)}:20px!important${color ? `;--gc-accent:${color}` : ''}}${LAUNCHER_CSS}`);
  root.adoptedStyleSheets = [sheet];
  root.innerHTML = MARKUP;
  (document.body ?? document.documentElement).append(host);
  // In the top layer the widget is laid out against the viewport whatever the page does to its
  // ancestors (a transform or filter on <body> would otherwise capture position: fixed), and no
  // z-index or overflow of the page can cover or clip it.
  host.popover = 'manual';
  host.showPopover?.();
  return { host, root, button: root.firstChild as HTMLButtonElement };
}
