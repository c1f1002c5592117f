export { createSession, type Session, type SessionOptions, type Notice, type Survey } from './session.ts';
export type { UiMessage, DeliveryState, SystemEvent } from './messages.ts';
export type { WidgetEvents, WidgetEventName, WidgetStatus, Emit } from './events.ts';
export { bootSession, type BootOptions, type Booted, type VendorFactory } from './boot.ts';
