/**
 * The content version as the HTTP server reads it on every request: asked of the database again
 * only after a write by this process, or after a short while for writes by other processes.
 */

/** How long a version read from the database is trusted when this process wrote nothing since. */
export const VERSION_RECHECK_MS = 250;

/** A cached reader of `read()`; `wrote()` drops the cache. */
export function cacheContentVersion(read: () => number | Promise<number>) {
  let known = -1;
  let checkedAt = 0;
  return {
    async get(): Promise<number> {
      if (known < 0 || Date.now() - checkedAt > VERSION_RECHECK_MS) {
        known = await read();
        checkedAt = Date.now();
      }
      return known;
    },
    wrote(): void {
      known = -1;
    },
  };
}
