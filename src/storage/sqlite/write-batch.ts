/**
 * Writes that may wait a moment, committed together: each call queues its write, and at the
 * next turn of the event loop every write queued runs in one transaction, one commit instead
 * of one each (an all-304 poll writes a feed row per feed: 1,000 commits become a few). Each
 * caller's promise settles once its write is committed, or has failed.
 */
export interface WriteBatch {
  /** Queues `write` (a synchronous statement or two); resolves once it is committed. */
  (write: () => void): Promise<void>;
  /** Runs what is queued now (before the database closes). */
  flush(): void;
}

/**
 * `runAll` runs the writes it is given in one transaction. A batch that fails for another
 * reason than a busy database (`isBusy`: every write would wait as long again) runs again one
 * write at a time, so each write fails only for its own reason.
 */
export function createWriteBatch(runAll: (writes: ReadonlyArray<() => void>) => void, isBusy: (error: unknown) => boolean): WriteBatch {
  let queued: Array<{ write: () => void; resolve: () => void; reject: (error: unknown) => void }> = [];
  const flush = (): void => {
    const batch = queued;
    queued = [];
    if (batch.length === 0) return;
    try {
      runAll(batch.map((entry) => entry.write));
    } catch (error) {
      if (isBusy(error)) return void batch.forEach((entry) => entry.reject(error));
      for (const entry of batch) {
        try {
          runAll([entry.write]);
          entry.resolve();
        } catch (own) {
          entry.reject(own);
        }
      }
      return;
    }
    for (const entry of batch) entry.resolve();
  };
  const batch = (write: () => void): Promise<void> =>
    new Promise((resolve, reject) => {
      if (queued.length === 0) setImmediate(flush);
      queued.push({ write, resolve, reject });
    });
  return Object.assign(batch, { flush });
}
