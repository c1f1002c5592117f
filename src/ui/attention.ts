/**
 * Getting the visitor's attention for unread replies while the panel is closed or the tab is
 * hidden: the document title flashes, and with `data-sound` a short tone plays. Only one tab
 * of the browser does it (the holder of a Web Lock, or the tab the visitor is looking at), so
 * five open tabs do not flash and chime five times.
 */
import { effect, type ReadonlySignal } from '@preact/signals-core';

const FLASH_MS = 1_200;

function chime() {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    const end = audio.currentTime + 0.25;
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, end);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(end);
    tone.onended = () => void audio.close();
  } catch {
    // No audio (autoplay policy, no device): the title still flashes.
  }
}

/**
 * Until the returned function is called: flashes the title (`flashTitle(count)`, e.g. "(2) New
 * message") while `unread` is above zero, with a tone on each new one if `sound` is on.
 */
export function drawAttention(tenant: string, unread: ReadonlySignal<number>, sound: boolean, flashTitle: (count: number) => string): () => void {
  const { locks } = navigator;
  // Without Web Locks every tab leads. With them, tabs wait in line: when the leading tab
  // closes, the next one takes over.
  let leader = !locks;
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  locks
    ?.request(`guestchat:${tenant}:attention`, () => {
      leader = true;
      return held;
    })
    .catch(() => {});

  // The page's own title while it flashes (set exactly while `timer` runs).
  let title = '';
  let timer: ReturnType<typeof setInterval> | undefined;
  let last = unread.peek();
  const stop = () => {
    if (!timer) return;
    clearInterval(timer);
    timer = undefined;
    document.title = title;
  };

  const stopEffect = effect(() => {
    const count = unread.value;
    if (count === 0) stop();
    else if (!document.hidden || leader) {
      if (count > last && sound) chime();
      stop();
      title = document.title;
      let on = false;
      timer = setInterval(() => {
        on = !on;
        document.title = on ? flashTitle(count) : title;
      }, FLASH_MS);
    }
    last = count;
  });
  // (No visibility listener: the flashing ends when the count drops to zero, which the session
  // does when the visitor looks — panel open in a visible tab — and the effect above follows.)
  return () => {
    stopEffect();
    stop();
    release();
  };
}
