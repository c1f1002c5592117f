/**
 * The ES-module entry for sites that bundle their own code:
 *
 *   import { mount } from 'guestchat';
 *   const chat = mount({ adapter: 'liveperson', account: '12345678', connectorId: 'guestchat-unauth' });
 *   chat.on('message', (m) => console.log(m.text));
 *
 * The options are the script tag's data-* attributes in camelCase (`connectorId` for
 * `data-connector-id`), validated and reported the same way. The app and the configured vendor's
 * code are loaded on intent, as separate chunks of the consumer's bundle.
 */
import type { VendorFactory } from '../session/index.ts';
import type { DataAttributes } from './config.ts';
import { createWidget, type GuestChatApi } from './widget.ts';

export type { GuestChatApi, PublicState } from './widget.ts';
export type { WidgetEvents, WidgetEventName, WidgetStatus } from '../session/index.ts';
export type { ReasonCode } from '../errors.ts';

export interface MountOptions {
  adapter: 'liveperson' | 'salesforce' | 'liveperson-connector';
  /** LivePerson */
  account?: string;
  connectorId?: string;
  domainApi?: string;
  /** Salesforce */
  scrtUrl?: string;
  orgId?: string;
  deployment?: string;
  /** LivePerson through the brand's broker (Connector API) */
  brokerUrl?: string;
  /** Presentation */
  locale?: string;
  position?: 'bottom-right' | 'bottom-left';
  color?: string;
  title?: string;
  sound?: boolean;
  debug?: boolean;
}

function toAttributes(options: MountOptions): DataAttributes {
  const data: DataAttributes = {};
  for (const [key, value] of Object.entries(options)) {
    if (typeof value === 'boolean') {
      if (value) data[key] = '';
    } else if (typeof value === 'string') data[key] = value;
  }
  return data;
}

/** Start GuestChat on this page. Call once; it returns the same API as `window.GuestChat`. */
export function mount(options: MountOptions): GuestChatApi {
  const vendor = (adapter: MountOptions['adapter']): Promise<{ createVendor: VendorFactory }> => {
    switch (adapter) {
      case 'liveperson':
        return import('../adapters/liveperson/index.ts');
      case 'salesforce':
        return import('../adapters/salesforce/index.ts');
      case 'liveperson-connector':
        return import('../adapters/liveperson-connector/index.ts');
    }
  };
  return createWidget(toAttributes(options), (adapter) =>
    Promise.all([import('../ui/index.ts'), vendor(adapter)]).then(([{ mount }, { createVendor }]) => ({ mount, createVendor })),
  );
}
