/**
 * Retention of digest copies: a finished run keeps its per-recipient rows (Message-IDs for
 * bounce reports, errors for `digest --status`) for `deliveryRetentionDays`, then only its
 * counts by status. A run to a million subscribers a day would otherwise add a million rows a
 * day for ever.
 */
import type { Config } from '../config/load.ts';
import type { Logger } from '../logger.ts';
import type { Store } from '../storage/store.ts';
import { retentionCutoff } from '../support/retention.ts';

/** Deletes the copies of runs finished more than `deliveryRetentionDays` before `now` (0: none); how many. */
export async function pruneDeliveries(
  config: Pick<Config, 'deliveryRetentionDays'>,
  store: Pick<Store, 'pruneDeliveries'>,
  now: Date,
  logger: Logger,
): Promise<number> {
  const before = retentionCutoff(now, config.deliveryRetentionDays);
  if (!before) return 0;
  const pruned = await store.pruneDeliveries(before);
  if (pruned > 0) logger.info({ pruned, days: config.deliveryRetentionDays }, 'digest copies of old runs pruned');
  return pruned;
}
