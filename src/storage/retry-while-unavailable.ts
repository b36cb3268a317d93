/** Short store writes tried again while PostgreSQL restarts or a connection is cut (isStoreUnavailable). */
import type { Logger } from '../logger.ts';
import { isStoreUnavailable } from './store.ts';

/**
 * Runs `write` until it answers, or fails otherwise than with the store unavailable, or
 * `until` (performance.now()) would pass: waits 0.2 s, doubling to 2 s, between tries, each
 * logged on `log()` (made only when needed). A write whose commit went through but whose answer
 * was lost is run again: only idempotent writes, or fenced ones whose caller reads a refusal
 * accordingly, belong here.
 */
export async function retryWhileUnavailable<T>(write: () => Promise<T>, until: number, log: () => Logger): Promise<T> {
  for (let delay = 200; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await write();
    } catch (err) {
      if (!isStoreUnavailable(err) || performance.now() + delay > until) throw err;
      log().warn({ err, retryInMs: delay }, 'the store is unavailable; the write is tried again');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
