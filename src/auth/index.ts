export { plan, renewAt, ACCESS_SAFETY_MARGIN_MS, IDENTITY_SAFETY_MARGIN_MS, type Plan } from './plan.ts';
export { parseRecord, RECORD_VERSION, type TokenRecord, type StoredConversation } from './record.ts';
export { createLocalStore, createRecordStore, DB_NAME, STORE_NAME, type LocalStore, type RecordStore } from './store.ts';
export { createClock, type SkewClock } from './clock.ts';
export { TokenLifecycle, TOKEN_RETRY_DELAYS_MS, type AccessResult, type AccessOptions, type LifecycleOptions } from './lifecycle.ts';
export { withTenantLock } from './lock.ts';
