/**
 * When a feed may be fetched again. Pure: `now` and the random source are arguments.
 * Publisher hints (RSS <ttl>, Cache-Control max-age, Expires; RFC 9111 §5.2, §5.3) set a
 * minimum interval; failures back off exponentially with jitter; Retry-After (RFC 9110 §10.2.3)
 * is honoured on 429 and 503. Every wait is capped at a day: no feed is ever given up for good.
 */
import type { FeedState, WaitReason } from '../model.ts';
import type { ResponseHeaders } from './http-get.ts';

export const MAX_WAIT_MS = 24 * 3600 * 1000;
const BACKOFF_BASE_MS = 60 * 1000;

/** What the publisher said about how often to come back. */
export interface FreshnessHints {
  ttlMinutes: number | null;
  headers: ResponseHeaders | null;
  /** Our own period for the feed, when the planner polls each feed on its own clock (cluster mode). */
  minIntervalMs?: number;
}

/** The earliest next fetch after a successful one (200 or 304). */
export function nextFetchAfterSuccess(now: Date, hints: FreshnessHints): Date {
  const waits = [hints.ttlMinutes === null ? 0 : hints.ttlMinutes * 60_000, hints.minIntervalMs ?? 0];
  if (hints.headers) waits.push(maxAgeMs(hints.headers), expiresInMs(hints.headers, now));
  return new Date(now.getTime() + Math.min(MAX_WAIT_MS, Math.max(0, ...waits)));
}

/** The next attempt after the `consecutiveErrors`-th failure in a row. */
export function nextFetchAfterFailure(
  now: Date,
  consecutiveErrors: number,
  retryAfterMs: number | null,
  random: () => number,
): { nextFetchAt: Date; waitReason: 'backoff' | 'retry-after' } {
  const exponential = BACKOFF_BASE_MS * 2 ** Math.min(Math.max(consecutiveErrors - 1, 0), 20);
  // ±25% jitter keeps many failing feeds (one host down) from retrying in lockstep.
  const backoff = Math.min(MAX_WAIT_MS, exponential) * (0.75 + 0.5 * random());
  const wait = Math.min(MAX_WAIT_MS, Math.max(backoff, retryAfterMs ?? 0));
  return {
    nextFetchAt: new Date(now.getTime() + wait),
    waitReason: retryAfterMs !== null && retryAfterMs >= backoff ? 'retry-after' : 'backoff',
  };
}

/** Retry-After as milliseconds from `now`: delay-seconds or an HTTP-date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return null; // "-5", "1.5": neither delay-seconds nor an HTTP-date
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

/**
 * Whether a feed is due. A scheduled run honours every wait; a manual `poll` skips only feeds
 * the server asked to wait (Retry-After) or that back off after errors, and `force` skips none.
 */
export function isDue(feed: FeedState, now: Date, mode: 'scheduled' | 'manual', force: boolean): boolean {
  if (force || feed.nextFetchAt === null || feed.nextFetchAt.getTime() <= now.getTime()) return true;
  const blocking: WaitReason[] = mode === 'scheduled' ? ['schedule', 'backoff', 'retry-after'] : ['backoff', 'retry-after'];
  return feed.waitReason === null || !blocking.includes(feed.waitReason);
}

function maxAgeMs(headers: ResponseHeaders): number {
  const cacheControl = headers.get('cache-control') ?? '';
  if (/\b(no-cache|no-store)\b/i.test(cacheControl)) return 0;
  const maxAge = /\bmax-age\s*=\s*"?(\d+)/i.exec(cacheControl)?.[1];
  return maxAge ? Number(maxAge) * 1000 : 0;
}

function expiresInMs(headers: ResponseHeaders, now: Date): number {
  if (/\bmax-age\b/i.test(headers.get('cache-control') ?? '')) return 0; // max-age overrides Expires
  const expires = Date.parse(headers.get('expires') ?? '');
  // Measured against the server's own Date header, so a skewed server clock does not matter.
  const serverNow = Date.parse(headers.get('date') ?? '');
  if (Number.isNaN(expires)) return 0;
  return Math.max(0, expires - (Number.isNaN(serverNow) ? now.getTime() : serverNow));
}
