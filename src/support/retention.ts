/**
 * Retention windows in days (`retentionDays`, `deliveryRetentionDays`): 0 keeps everything,
 * N keeps what is younger than N days. One cutoff rule for every place that prunes or tells
 * what was pruned, so they never disagree on the boundary.
 */
const DAY_MS = 86_400_000;

/** The instant before which data `days` old is pruned at `now`; null when `days` is 0 (keep all). */
export function retentionCutoff(now: Date, days: number): Date | null {
  return days > 0 ? new Date(now.getTime() - days * DAY_MS) : null;
}
