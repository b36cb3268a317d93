/**
 * Waiting for work that may never answer (a database gone silent) no longer than a deadline.
 */

/** `work`'s result, or null when it takes longer than `ms` (it goes on; its result, or its failure, is dropped). */
export async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  work.catch(() => {}); // a failure after the deadline has no one to tell
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
