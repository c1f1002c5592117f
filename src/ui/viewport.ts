/**
 * Mobile keyboards: on narrow screens the panel fills the visual viewport (what is left above
 * the on-screen keyboard), so the composer stays visible while typing. Set through CSS custom
 * properties (CSSOM, allowed under a strict CSP), read by the narrow-screen rule in styles.ts.
 */
export function followVisualViewport(target: HTMLElement): () => void {
  const viewport = window.visualViewport;
  const listening = new AbortController();
  if (viewport) {
    const set = (name: string, px: number) => target.style.setProperty(name, `${Math.round(px)}px`);
    const update = () => {
      set('--gc-vv-height', viewport.height);
      set('--gc-vv-top', viewport.offsetTop);
    };
    update();
    for (const type of ['resize', 'scroll']) viewport.addEventListener(type, update, listening);
  }
  return () => listening.abort();
}
