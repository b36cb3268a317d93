/**
 * Readiness (/readyz, `columnwire healthcheck --ready`): the database answers and the last
 * poll cycle is recent. Pure: the caller reads when that cycle finished and passes the time.
 */
import type { ServiceStats } from './storage/store.ts';

export interface Readiness {
  ready: boolean;
  /** Why not, or what was checked. */
  reason: string;
  lastPollCycleAt: string | null;
}

/** How old the last poll cycle may be: three times the longest wait between polls, and never under ten minutes. */
export function maxPollAgeMs(pollMaxGapMinutes: number): number {
  return Math.max(3 * pollMaxGapMinutes, 10) * 60_000;
}

/** Judges readiness from when the last poll cycle finished (or the error reading it) at `now`. */
export function judgeReadiness(stats: Pick<ServiceStats, 'lastPollCycleAt'> | Error, now: Date, maxAgeMs: number): Readiness {
  if (stats instanceof Error) return { ready: false, reason: `database does not answer: ${stats.message}`, lastPollCycleAt: null };
  const last = stats.lastPollCycleAt;
  const lastPollCycleAt = last?.toISOString() ?? null;
  if (!last) return { ready: false, reason: 'no poll cycle has finished yet', lastPollCycleAt };
  const ageMs = now.getTime() - last.getTime();
  if (ageMs > maxAgeMs) {
    return {
      ready: false,
      reason: `the last poll cycle finished ${Math.round(ageMs / 60_000)} min ago (more than ${Math.round(maxAgeMs / 60_000)} min); is the poller running?`,
      lastPollCycleAt,
    };
  }
  return { ready: true, reason: 'database answers and the last poll cycle is recent', lastPollCycleAt };
}
