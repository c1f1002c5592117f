/**
 * The public event emitter behind `GuestChat.on()`. It lives in the loader so a site can
 * subscribe before the app has loaded; the app only calls `emit`.
 */
import type { Emit, WidgetEventName, WidgetEvents } from '../session/events.ts';

export type Listener<K extends WidgetEventName> = (detail: WidgetEvents[K]) => void;

export interface Bus {
  on<K extends WidgetEventName>(name: K, listener: Listener<K>): () => void;
  emit: Emit;
}

export function createBus(debug: () => boolean): Bus {
  const listeners = new Map<string, Set<(detail: unknown) => void>>();
  return {
    on(name, listener) {
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      const wrapped = listener as (detail: unknown) => void;
      set.add(wrapped);
      return () => void set.delete(wrapped);
    },
    emit(name, detail) {
      if (debug()) console.debug('[GuestChat]', name, detail);
      for (const listener of listeners.get(name) ?? []) {
        // A site's listener that throws must not break the widget or the other listeners.
        try {
          listener(detail);
        } catch (error) {
          console.error('[GuestChat] an event listener threw', error);
        }
      }
    },
  };
}
