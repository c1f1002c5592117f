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
const LAUNCHER_CSS = `
:host{all:initial!important;position:fixed!important;z-index:2147483000!important;bottom:20px!important;right:20px!important;left:auto!important;top:auto!important;display:block!important;width:auto!important;height:auto!important;margin:0!important;padding:0!important;border:0!important;transform:none!important}
:host([data-position=bottom-left]){left:20px!important;right:auto!important}
.launcher{all:initial;box-sizing:border-box;position:relative;display:flex;align-items:center;justify-content:center;width:56px;height:56px;border-radius:50%;background:var(--gc-accent,#0b5fff);color:var(--gc-on-accent,#fff);cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);transition:transform .15s}
.launcher:hover{transform:scale(1.05)}
.launcher:focus-visible{outline:3px solid var(--gc-focus,#ffbf47);outline-offset:3px}
.launcher svg{width:28px;height:28px;fill:currentColor;display:block}
.badge{all:initial;position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 6px;box-sizing:border-box;border-radius:10px;background:#c4001a;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}
.badge[hidden]{display:none}
@media (prefers-reduced-motion:reduce){.launcher{transition:none}.launcher:hover{transform:none}}
`;

const ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';

export function drawLauncher(options: WidgetOptions, label: string): LauncherHandle {
  const host = document.createElement('div');
  host.id = 'guestchat';
  host.dataset.position = options.position;
  const root = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(LAUNCHER_CSS + (options.color ? `:host{--gc-accent:${options.color}}` : ''));
  root.adoptedStyleSheets = [sheet];

  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'launcher';
  button.setAttribute('aria-haspopup', 'dialog');
  button.setAttribute('aria-expanded', 'false');
  button.innerHTML = ICON; // a constant, never data
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.hidden = true;
  badge.setAttribute('aria-hidden', 'true');
  button.append(badge);
  root.append(button);
  (document.body ?? document.documentElement).append(host);
  // In the top layer the widget is laid out against the viewport whatever the page does to its
  // ancestors (a transform or filter on <body> would otherwise capture position: fixed), and no
  // z-index or overflow of the page can cover or clip it.
  if (typeof host.showPopover === 'function') {
    host.popover = 'manual';
    host.showPopover();
  }

  let baseLabel = label;
  let unread = 0;
  const applyLabel = () => button.setAttribute('aria-label', unread ? `${baseLabel} (${unread} unread)` : baseLabel);
  applyLabel();

  return {
    host,
    root,
    button,
    setUnread(count) {
      unread = count;
      badge.hidden = count === 0;
      badge.textContent = count > 99 ? '99+' : String(count);
      applyLabel();
    },
    setExpanded(open) {
      button.setAttribute('aria-expanded', String(open));
    },
    setLabel(next) {
      baseLabel = next;
      applyLabel();
    },
  };
}
