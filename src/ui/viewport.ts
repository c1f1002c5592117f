/**
 * Mobile keyboards: on narrow screens the panel fills the visual viewport (what is left above
 * the on-screen keyboard), so the composer stays visible while typing. Set through CSS custom
 * properties (CSSOM, allowed under a strict CSP), read by the narrow-screen rule in styles.ts.
 */
export function followVisualViewport(target: HTMLElement): () => void {
  const viewport = window.visualViewport;
  const listening = new AbortController();
  if (viewport) {
    const update = () => {
      target.style.setProperty('--gc-vv-height', `${Math.round(viewport.height)}px`);
      target.style.setProperty('--gc-vv-top', `${Math.round(viewport.offsetTop)}px`);
    };
    update();
    viewport.addEventListener('resize', update, listening);
    viewport.addEventListener('scroll', update, listening);
  }
  return () => listening.abort();
}
