/** How columnwire's connections to PostgreSQL behave when the server or a process stalls (both pools: the store's and the job queue's). */

/**
 * How long a transaction may sit idle between two statements before PostgreSQL ends its session.
 * Ours send their statements back to back; one idle this long belongs to a process that stalled
 * mid-save (SIGSTOP, a VM paused, a partition) and holds row and advisory locks every other
 * save, digest and planner would queue behind for as long as it stays stalled. Ended, its
 * locks go, and its late commit fails (the lease fencing drops the result anyway).
 */
export const IDLE_IN_TRANSACTION_MS = 60_000;
/**
 * Connection settings both pools (the store's and the job queue's) share: TCP keepalive, so a
 * server gone silent (a partition, not a refusal) is noticed rather than waited on for hours,
 * and a bound on connecting (or waiting for a free connection).
 */
export const CONNECTION_SETTINGS = {
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
  connectionTimeoutMillis: 30_000,
  idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
} as const;
