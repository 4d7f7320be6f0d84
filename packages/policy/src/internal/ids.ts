import { FlagKind } from '@steward/protocol';

/** The rule id of the default deny: nothing in the policy allowed the request. */
export const DEFAULT_DENY = 'default-deny';
/** The rule id for data classes that no data-sharing rule covers. */
export const DATA_UNLISTED = 'data-sharing.unlisted';

/** Ids of checks the engine derives from the trust, conflicts and limits sections. */
export const BUILTIN_IDS: readonly string[] = [
  DEFAULT_DENY,
  DATA_UNLISTED,
  'trust.signed-card',
  'trust.registry',
  'trust.verification-level',
  'limit.max-vendors',
  'limit.max-rounds',
  'limit.max-orders-per-day',
  'limit.max-orders-per-vendor-per-day',
  'limit.max-tool-calls',
  ...FlagKind.options.flatMap((k) => [`conflict.${k}`, `conflict.${k}.alternative`]),
];
