/**
 * Polling until a condition holds, for tests that watch other processes through the database
 * or a request log (nothing to await there): reads every `intervalMs`, and fails after
 * `timeoutMs` naming what it waited for and the last value read, before the test's own timeout.
 */

/** Resolves with the first value `read` gives that `done` accepts (within `timeoutMs`, when given, instead of the default). */
export type Until = <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs?: number) => Promise<T>;

/** An `until` that gives up after `timeoutMs`, its errors starting with `label`. */
export function untilWithin(defaultTimeoutMs: number, label: string, intervalMs = 100): Until {
  return async (read, done, what, timeoutMs = defaultTimeoutMs) => {
    const started = Date.now();
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() - started > timeoutMs) throw new Error(`${label}: timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  };
}
