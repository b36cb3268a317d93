/** The config's `poll:` limits as fetch and parse settings: light, so the composition root needs no fetcher to hold them. */
import type { AddressPolicy } from './guard-address.ts';

/** The config's `poll:` limits that apply to any fetch and parse. */
export interface TrySettings {
  timeoutMs: number;
  maxBytes: number;
  allowPrivateAddresses: AddressPolicy;
  /** Most parse worker threads (poll.parseWorkers). */
  parseWorkers: number;
  /** A feed's parse budget (poll.parseTimeoutSeconds). */
  parseTimeoutMs: number;
  /** Items kept of one document, the newest (poll.maxItemsPerFeed). */
  maxItemsPerFeed?: number;
}

/** The limits of a config's `poll:` section, for `feeds add`, `check` and every poll. */
export function trySettingsOf(poll: {
  timeoutSeconds: number;
  maxBytes: number;
  allowPrivateAddresses: AddressPolicy;
  parseWorkers: number;
  parseTimeoutSeconds: number;
  maxItemsPerFeed?: number;
}): TrySettings {
  return {
    timeoutMs: poll.timeoutSeconds * 1000,
    maxBytes: poll.maxBytes,
    allowPrivateAddresses: poll.allowPrivateAddresses,
    parseWorkers: poll.parseWorkers,
    parseTimeoutMs: poll.parseTimeoutSeconds * 1000,
    ...(poll.maxItemsPerFeed !== undefined ? { maxItemsPerFeed: poll.maxItemsPerFeed } : {}),
  };
}
