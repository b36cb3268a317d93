/**
 * A token bucket per client address, for the one route that writes (/unsubscribe): consulted
 * only once a request has been refused (bad token, oversize), so valid links are never
 * slowed, however many arrive from one address (a mailbox provider's one-click posts, or
 * every reader behind one reverse proxy), while a script guessing tokens is. Pure: time
 * comes in. Memory is bounded: past `maxClients`, the least recently seen address is forgotten.
 */
export interface RateLimiter {
  /** Spends a token for `client` at `nowMs`; returns 0 when one was left, else the seconds until one is. */
  take(client: string, nowMs: number): number;
}

export interface RateLimitOptions {
  /** Requests allowed at once. */
  burst: number;
  /** Tokens refilled per minute. */
  perMinute: number;
  maxClients?: number;
}

/** Creates a limiter; one per server. */
export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const maxClients = options.maxClients ?? 10_000;
  const buckets = new Map<string, { tokens: number; atMs: number }>();
  const refillPerMs = options.perMinute / 60_000;
  const secondsUntilToken = (tokens: number) => Math.ceil((1 - tokens) / refillPerMs / 1000);
  return {
    take(client, nowMs) {
      const bucket = buckets.get(client) ?? { tokens: options.burst, atMs: nowMs };
      buckets.delete(client); // re-inserted last: Map order is least recently seen first
      bucket.tokens = Math.min(options.burst, bucket.tokens + (nowMs - bucket.atMs) * refillPerMs);
      bucket.atMs = nowMs;
      buckets.set(client, bucket);
      if (buckets.size > maxClients) buckets.delete(buckets.keys().next().value!);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return secondsUntilToken(bucket.tokens);
    },
  };
}
