/**
 * Getting the visitor's attention for unread replies while the panel is closed or the tab is
 * hidden: the document title flashes, and with `data-sound` a short tone plays. Only one tab
 * of the browser does it (the holder of a Web Lock, or the tab the visitor is looking at), so
 * five open tabs do not flash and chime five times.
 */
import { effect, type ReadonlySignal } from '@preact/signals';

export interface AttentionOptions {
  tenant: string;
  unread: ReadonlySignal<number>;
  sound: boolean;
  /** The flashing title, e.g. "(2) New message". */
  flashTitle: (count: number) => string;
}

const FLASH_MS = 1_200;

function becomeLeader(tenant: string): { isLeader(): boolean; release(): void } {
  let leader = false;
  let release = () => {};
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return { isLeader: () => true, release };
  const held = new Promise<void>((resolve) => (release = resolve));
  // Waits in line; when the leading tab closes, the next one takes over.
  void locks
    .request(`guestchat:${tenant}:attention`, () => {
      leader = true;
      return held;
    })
    .catch(() => {});
  return { isLeader: () => leader, release };
}

function chime() {
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
    tone.onended = () => void audio.close();
  } catch {
    // No audio (autoplay policy, no device): the title still flashes.
  }
}

export function drawAttention({ tenant, unread, sound, flashTitle }: AttentionOptions): () => void {
  const leadership = becomeLeader(tenant);
  const mine = () => (document.visibilityState === 'visible' ? true : leadership.isLeader());
  let original: string | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let last = unread.peek();

  const stop = () => {
    clearInterval(timer);
    timer = undefined;
    if (original !== undefined) document.title = original;
    original = undefined;
  };
  const start = (count: number) => {
    if (timer) return;
    original = document.title;
    let on = false;
    timer = setInterval(() => {
      on = !on;
      document.title = on ? flashTitle(count) : (original ?? '');
    }, FLASH_MS);
  };

  const stopEffect = effect(() => {
    const count = unread.value;
    if (count === 0) stop();
    else if (mine()) {
      if (count > last && sound) chime();
      stop();
      start(count);
    }
    last = count;
  });
  const onVisible = () => {
    if (document.visibilityState === 'visible' && unread.peek() === 0) stop();
  };
  document.addEventListener('visibilitychange', onVisible);
  return () => {
    stopEffect();
    stop();
    leadership.release();
    document.removeEventListener('visibilitychange', onVisible);
  };
}
