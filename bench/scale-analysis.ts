/**
 * What one scale run did, judged from its ground truth: the fleet's request log and the feed rows
 * the bench sampled from the database every second (each distinct last_fetch_at/next_fetch_at
 * pair with when it was first seen). Pure: everything is an argument.
 *
 * A request's due time is the next_fetch_at the database held for its feed just before the
 * request began (the pair the previous fetch wrote: at least 45 s earlier, so a 1 s sampler
 * sees it). In SQLite mode a feed is fetched by the next cron cycle at or after that time, so its
 * due time is that cycle's start. A feed's first request (the first round) has no due time.
 */
import { readFileSync } from 'node:fs';

/** One line of the request log. */
export interface LoggedRequest {
  feed: number;
  startMs: number;
  endMs: number;
  status: number;
  completed: boolean;
  items: number;
}

/** A feed row as sampled: the pair one fetch wrote, and when the bench first saw it. */
export interface Sighting {
  seenAtMs: number;
  lastFetchAtMs: number;
  nextFetchAtMs: number | null;
}

/** One kill -9: when, and the feeds the worker held leases on. */
export interface Kill {
  atMs: number;
  pid: number;
  held: number[];
}

export interface RunAnalysis {
  requests: number;
  /** When every feed had had its first request answered (or cut off), or null when some never had one. */
  firstRoundEndMs: number | null;
  neverRequested: number;
  overlaps: string[];
  beforeDue: string[];
  /** Due → request start, ms, for every request after a feed's first. */
  lagsMs: number[];
  /** The due time (ms) of each of lagsMs, in the same order. */
  duesMs: number[];
  /** Requests after a feed's first whose due time the sampler had not seen. */
  unknownDue: number;
  /** The three longest waits past due, each told with what came before it (times from the run's first request). */
  longestWaits: string[];
  /**
   * Per kill: the feeds it cut off (held, not committed), those never fetched again after it
   * (lost), and the longest from the kill to the end of such a feed's next fetch.
   */
  recoveries: Array<{ recoveryMs: number | null; cases: number; lost: number[] }>;
}

/** A fetch that ended this long before a kill was not in flight any more (a feed is due again 45 s after at the soonest). */
const LEASE_WINDOW_MS = 30_000;

/** Reads the fleet's request log. */
export function readRequestLog(path: string): LoggedRequest[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [feed, startMs, endMs, status, completed, items] = line.split(',').map(Number) as [
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      return { feed, startMs, endMs, status, completed: completed === 1, items };
    });
}

/** Judges one run. `cycleMs`: SQLite's cron period (null in cluster mode, where each feed is due at its own time). */
export function analyzeRun(
  feeds: number,
  log: readonly LoggedRequest[],
  sightings: ReadonlyMap<number, readonly Sighting[]>,
  kills: readonly Kill[],
  cycleMs: number | null,
): RunAnalysis {
  const byFeed = new Map<number, LoggedRequest[]>();
  for (const request of log) {
    const list = byFeed.get(request.feed);
    if (list) list.push(request);
    else byFeed.set(request.feed, [request]);
  }
  const overlaps: string[] = [];
  const beforeDue: string[] = [];
  const lagsMs: number[] = [];
  const duesMs: number[] = [];
  let unknownDue = 0;
  let firstRoundEndMs = 0;
  const runStartMs = log.reduce((min, request) => Math.min(min, request.startMs), Number.POSITIVE_INFINITY);
  const waits: Array<{ lagMs: number; text: string }> = [];
  const at = (ms: number): string => `${((ms - runStartMs) / 1000).toFixed(1)} s`;
  for (const [feed, requests] of byFeed) {
    requests.sort((a, b) => a.startMs - b.startMs);
    firstRoundEndMs = Math.max(firstRoundEndMs, requests[0]!.endMs);
    const seen = sightings.get(feed) ?? [];
    for (let k = 1; k < requests.length; k++) {
      const request = requests[k]!;
      const previous = requests[k - 1]!;
      if (request.startMs < previous.endMs)
        overlaps.push(
          `feed ${feed}: a request at ${request.startMs} began before the one at ${previous.startMs} ended (${previous.endMs})`,
        );
      const governing = seen.filter((sighting) => sighting.seenAtMs <= request.startMs).at(-1);
      if (!governing || governing.nextFetchAtMs === null) {
        unknownDue++;
        continue;
      }
      const nextFetchAt = governing.nextFetchAtMs;
      if (request.startMs < nextFetchAt)
        beforeDue.push(
          `feed ${feed}: fetched at ${request.startMs}, ${nextFetchAt - request.startMs} ms before its next_fetch_at ${nextFetchAt}`,
        );
      const dueMs = cycleMs === null ? nextFetchAt : Math.ceil(nextFetchAt / cycleMs) * cycleMs;
      lagsMs.push(Math.max(0, request.startMs - dueMs));
      duesMs.push(dueMs);
      const lagMs = request.startMs - dueMs;
      if (waits.length < 3 || lagMs > waits[waits.length - 1]!.lagMs) {
        const text =
          `feed ${feed}: due ${at(dueMs)} (next_fetch_at seen ${at(governing.seenAtMs)}), fetched ${at(request.startMs)}, ` +
          `${(lagMs / 1000).toFixed(1)} s late; the fetch before: ${at(previous.startMs)}–${at(previous.endMs)}, ` +
          `${previous.completed ? `status ${previous.status}` : 'cut off'}; ${seen.length} sightings of the feed`;
        waits.push({ lagMs, text });
        waits.sort((a, b) => b.lagMs - a.lagMs);
        waits.length = Math.min(waits.length, 3);
      }
    }
  }
  const recoveries = kills.map((kill) => {
    let recoveryMs: number | null = null;
    let cases = 0;
    const lost: number[] = [];
    for (const feed of kill.held) {
      const requests = byFeed.get(feed) ?? [];
      const inFlight = requests.filter((request) => request.startMs <= kill.atMs).at(-1);
      // Fetched and committed just before the kill (only the lease release was cut off): nothing to recover.
      const committed =
        inFlight !== undefined &&
        inFlight.endMs >= kill.atMs - LEASE_WINDOW_MS &&
        (sightings.get(feed) ?? []).some((s) => s.lastFetchAtMs >= inFlight.startMs && s.lastFetchAtMs <= kill.atMs);
      if (committed) continue;
      cases++;
      // Taken over: fetched again after the kill (an endless body counts when the poller's timeout cut it).
      const again = requests.find((request) => request.startMs >= kill.atMs);
      if (again) recoveryMs = Math.max(recoveryMs ?? 0, again.endMs - kill.atMs);
      else lost.push(feed);
    }
    return { recoveryMs, cases, lost };
  });
  return {
    requests: log.length,
    firstRoundEndMs: byFeed.size === feeds ? firstRoundEndMs : null,
    neverRequested: feeds - byFeed.size,
    overlaps,
    beforeDue,
    lagsMs,
    longestWaits: waits.map((wait) => wait.text),
    duesMs,
    unknownDue,
    recoveries,
  };
}

/** The p-th percentile (0–100) by nearest rank; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
