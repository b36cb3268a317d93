/**
 * The digest deliveries this process's senders are working on, by scope (the claim owner and
 * the database: `${owner}\n${location}`, so stores of other databases never meet). A claim in the
 * database under this process's own name that is not here was made by an attempt that has
 * ended without recording a result (its write was cut off with the connection): the process
 * takes it again at once, where another process waits for it to go stale (STALE_CLAIM_MS).
 */
/** By delivery: the token of the claim its attempt holds (null while the attempt is claiming). */
const active = new Map<string, number | null>();
const keyOf = (scope: string, runId: number, address: string) => `${scope}\n${runId}\n${address}`;

/** Marks an attempt on a delivery begun; false when one of this process's (in `scope`) is under way already. */
export function beginDeliveryAttempt(scope: string, runId: number, address: string): boolean {
  const key = keyOf(scope, runId, address);
  if (active.has(key)) return false;
  active.set(key, null);
  return true;
}

/**
 * Marks the attempt holding the claim `token` on a delivery ended (its result recorded, its
 * claim lost, or given up on). An older attempt's end (its claim's token) leaves a later
 * attempt, which took the copy again after the older one recorded it pending, under way.
 */
export function endDeliveryAttempt(scope: string, runId: number, address: string, token: number | null): void {
  const key = keyOf(scope, runId, address);
  if (active.get(key) === token) active.delete(key);
}

/**
 * Claims a delivery through `claim` (the backend's compare-and-set, which may take a claim of
 * this process's own) as one attempt: none while another of this process's is under way, and the
 * attempt ends at once when nothing was claimed.
 */
export async function claimAsAttempt<T extends { token: number }>(
  scope: string,
  runId: number,
  address: string,
  claim: () => Promise<T | null>,
): Promise<T | null> {
  if (!beginDeliveryAttempt(scope, runId, address)) return null;
  let claimed: T | null = null;
  try {
    claimed = await claim();
    if (claimed !== null) active.set(keyOf(scope, runId, address), claimed.token);
    return claimed;
  } finally {
    if (claimed === null) endDeliveryAttempt(scope, runId, address, null);
  }
}
