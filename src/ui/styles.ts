/**
 * The panel's styles, adopted into the shadow root as a constructable stylesheet (no <style>
 * element, no inline style: strict CSP friendly). Colours meet WCAG AA contrast on white;
 * site owners theme through CSS custom properties (--gc-accent, --gc-on-accent, --gc-font).
 * An agent's message is a two-column grid: the avatar (always there, picture or initial) spans
 * both rows of the first column, so the bubble and the meta line flow into the second.
 * Boxes are content-box (the default): a min-height or max-height is the content's, inside the
 * padding and border (the message field: 22px + 2 x 9px padding + 2 x 1px border = 42px).
 */
// Rules end in a line continuation: one line in the build, one rule per line here.
export const PANEL_CSS = `\
.badge{position:absolute;top:-4px;right:-4px;min-width:8px;padding:0 6px;border-radius:10px;background:#c4001a;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}\
.panel{position:fixed;bottom:88px;right:20px;width:370px;max-width:calc(100vw - 40px);height:560px;max-height:calc(100vh - 110px);background:#fff;color:#1b1b1f;border-radius:14px;box-shadow:0 10px 40px #00000047;overflow:hidden;font:15px/1.45 var(--gc-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif)}\
:host([data-position=bottom-left]) .panel{right:auto;left:20px}\
.panel[hidden]{display:none}\
.icon-btn,.link-btn,.chip,.score,.send{all:unset;cursor:pointer}\
.icon-btn,.initial,.score,.send{display:inline-grid;place-items:center}\
.panel :is(button,a,textarea):focus-visible{outline:3px solid var(--gc-focus,#ffbf47);outline-offset:2px}\
.header,.notice,.composer{display:flex;gap:8px}\
.header,.visitor .bubble,.send{background:var(--gc-accent,#0b5fff);color:var(--gc-on-accent,#fff)}\
.header{align-items:center;padding:12px 12px 12px 16px}\
.header h2{flex:1;margin:0;font-size:16px}\
.icon-btn{min-width:32px;height:32px;padding:0 8px;border-radius:8px;font-size:14px}\
.icon-btn:hover{background:#ffffff2e}\
.status{padding:8px 14px;font-size:13px;background:#fff4d6;color:#4a3600;border-bottom:1px solid #f0dca0}\
.error{background:#fde8ea;color:#7a0014;border-color:#f3b7bf}\
.notice{align-items:start;padding:10px 14px;font-size:13px;background:#eaf1ff;color:#12307a;border-bottom:1px solid #c9d9ff}\
.notice p{margin:0;flex:1}\
.link-btn{text-decoration:underline;font-weight:600}\
.panel,.log,.items,.msg{display:flex;flex-flow:column}\
.log{flex:1;overflow:auto;padding:14px;overscroll-behavior:contain}\
.items{margin:0;padding:0;gap:8px}\
.earlier{align-self:center;margin:0 0 10px;font-size:13px;color:#0645ad}\
.empty{margin:auto 0;color:#5a5a66;text-align:center;font-size:14px}\
.msg{max-width:82%;gap:2px}\
.visitor{align-self:end;align-items:end}\
.agent{align-self:start;display:grid;grid:auto-flow/28px auto;gap:2px 8px;align-items:end}\
.system{align-self:center;max-width:95%;text-align:center;color:#4f4f5a;font-size:13px}\
.bubble{padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere;margin:0}\
.visitor .bubble{border-end-end-radius:4px}\
.visitor .bubble a{color:inherit}\
.agent .bubble{background:#eef0f4;border-end-start-radius:4px}\
.agent .bubble a{color:#0645ad}\
.meta{font-size:12px;color:#5a5a66}\
.meta .failed{font-weight:600}\
.avatar{grid-row:1/3;align-self:start;width:28px;height:28px;border-radius:50%;object-fit:cover;background:#dfe3ea}\
.initial{font-weight:700;font-size:13px}\
.chips{display:flex;flex-flow:wrap;gap:6px;margin-top:8px}\
.chip{padding:6px 12px;border:1px solid var(--gc-accent,#0b5fff);border-radius:16px;color:#0b3fb0;font-size:14px;background:#fff}\
.chip:hover{background:#eaf1ff}\
.survey{margin:10px 0 0;padding:10px;border:1px solid #e2e4ea;border-radius:10px;text-align:center;font-size:14px}\
.survey p{margin:0 0 8px}\
.scores{display:flex;justify-content:center;gap:6px}\
.score{min-width:36px;height:36px;border-radius:8px;border:1px solid #8a8f9c;font-weight:600}\
.score:hover{background:#eef0f4}\
.score:disabled,.send[aria-disabled=true]{opacity:.6;cursor:default}\
.failed{color:#b00020}\
.typing{padding:0 14px 6px;font-size:13px;color:#4f4f5a;min-height:14px}\
.composer{padding:10px;border-top:1px solid #e2e4ea;background:#fff}\
.input{flex:1;resize:none;font-family:inherit;font-size:16px;line-height:1.4;color:#1b1b1f;background:#fff;border:1px solid #8a8f9c;border-radius:10px;padding:9px 12px;max-height:100px;min-height:22px}\
.send{padding:0 16px;border-radius:10px;font-weight:600}\
.sr-only{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}\
@media (max-width:480px){.panel{inset:var(--gc-vv-top,0) 0 auto;width:100%;max-width:none;height:var(--gc-vv-height,100%);max-height:none;border-radius:0}}`;
