/**
 * The public event catalogue (`GuestChat.on(name, fn)`). Payloads are plain data: no tokens,
 * no internal objects. The loader owns the emitter; everything below it only calls `emit`.
 */
import type { ReasonCode } from '../errors.ts';
import type { Sender } from '../adapters/types.ts';

export type WidgetStatus = 'idle' | 'connecting' | 'online' | 'reconnecting' | 'error';

export interface WidgetEvents {
  ready: { adapter: string };
  open: Record<string, never>;
  close: Record<string, never>;
  message: { id: string; from: Sender; text: string; at: number; conversationId?: string };
  status: { status: WidgetStatus };
  conversation: { conversationId: string | null; state: 'open' | 'closed' };
  /** A token was obtained: `action` issue (new identity), renew (same identity) or replace (new identity, old chat lost). */
  token: { action: 'issue' | 'renew' | 'replace'; subject: string; expiresAt: number };
  'identity-replaced': { previousSubject?: string; subject: string };
  error: { reason: ReasonCode; message: string; status?: number };
}

export type WidgetEventName = keyof WidgetEvents;
export type Emit = <K extends WidgetEventName>(name: K, detail: WidgetEvents[K]) => void;
