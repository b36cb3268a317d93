/** Runs async work over a list with a global concurrency limit and a per-key (per-host) limit. */

export interface Limits<T> {
  concurrency: number;
  perKey: number;
  keyOf: (item: T) => string;
}

/** Calls `worker` for every item, at most `concurrency` at once and `perKey` per key; resolves when all settle. */
export function runLimited<T>(items: readonly T[], limits: Limits<T>, worker: (item: T) => Promise<void>): Promise<void> {
  const waiting = [...items];
  const active = new Map<string, number>();
  let running = 0;
  return new Promise((resolve, reject) => {
    const pump = (): void => {
      if (waiting.length === 0 && running === 0) return resolve();
      for (let index = 0; index < waiting.length && running < limits.concurrency;) {
        const item = waiting[index]!;
        const key = limits.keyOf(item);
        if ((active.get(key) ?? 0) >= limits.perKey) {
          index++;
          continue;
        }
        waiting.splice(index, 1);
        running++;
        active.set(key, (active.get(key) ?? 0) + 1);
        worker(item).then(() => {
          running--;
          active.set(key, active.get(key)! - 1);
          pump();
        }, reject);
      }
    };
    pump();
  });
}
