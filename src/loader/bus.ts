/**
 * The public event emitter behind `GuestChat.on()`. It lives in the loader so a site can
 * subscribe before the app has loaded; the app only calls `emit`.
 */
import type { Emit, WidgetEventName, WidgetEvents } from '../session/events.ts';

export type Listener<K extends WidgetEventName> = (detail: WidgetEvents[K]) => void;

type AnyListener = (detail: unknown) => void;

/**
 * `on` and `emit`, as a pair (the API hands out the one, the app gets the other).
 * (`data-debug` logging is the app's: it wraps `emit`, see src/ui/index.ts.)
 */
export function createBus(): [on: <K extends WidgetEventName>(name: K, listener: Listener<K>) => () => void, emit: Emit] {
  const listeners = new Map<string, Set<AnyListener>>();
  return [
    (name, listener) => {
      // A Set: the same function subscribed twice is called once, and one unsubscribe removes it.
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set.add(listener as AnyListener));
      return () => void set.delete(listener as AnyListener);
    },
    (name, detail) => {
      for (const listener of listeners.get(name) ?? []) {
        // A site's listener that throws must not break the widget or the other listeners.
        try {
          listener(detail);
        } catch (error) {
          console.error('[GuestChat]', error);
        }
      }
    },
  ];
}
