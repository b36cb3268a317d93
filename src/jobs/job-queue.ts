/**
 * The work queue the cluster roles share (PostgreSQL mode): poll jobs (one feed each) and digest
 * jobs (one address range of one run each). The queue only carries work: which feed is due, who
 * fetches it, what a digest owes are all in the store, so a lost or doubled job costs a repeat
 * at most. The one implementation is pg-boss (pg-boss-queue.ts); nothing else imports it.
 */
import type { QueueSql } from '../storage/store.ts';

/** One range of one digest run's recipients: [from, to] by address. */
export interface DigestRangeJob {
  runId: number;
  digestId: string;
  from: string;
  to: string;
}

/** How a process works a queue: up to `concurrency` jobs in hand at once; an empty queue is asked again after `pollingSeconds`. */
export interface WorkOptions {
  concurrency: number;
  pollingSeconds: number;
}

export interface JobQueue {
  /**
   * Adds one poll job per feed inside `sql` (the planner's transaction): they commit with its
   * marks. A feed already queued is not added twice. The jobs of `retries` (lost work) are taken
   * before every other waiting job, then those of `dueAgain` (feeds on their clocks) and a few
   * of those waiting past QueueLimits.pollStarveSeconds, then the rest.
   */
  enqueuePolls(sql: QueueSql, feedIds: readonly string[], retries?: ReadonlySet<string>, dueAgain?: ReadonlySet<string>): Promise<void>;
  /** Adds one job per range of a digest run (a range already queued is not added twice). */
  enqueueDigestRanges(jobs: readonly DigestRangeJob[]): Promise<void>;
  /** Runs `handler` for poll jobs in this process until stop(). A handler that throws fails its job (the planner queues the feed again). */
  workPolls(handler: (feedId: string) => Promise<void>, options: WorkOptions): Promise<void>;
  /** Runs `handler` for digest range jobs in this process until stop(); a throw retries the job later. */
  workDigests(handler: (job: DigestRangeJob) => Promise<void>, options: WorkOptions): Promise<void>;
  /** Jobs waiting, by queue: the cluster's backlog gauge. */
  depths(): Promise<{ polls: number; digests: number }>;
  /** Stops taking jobs; jobs in flight get `graceMs` to finish. */
  stop(graceMs: number): Promise<void>;
}

/** The queues' limits, from the config: a job is expired and retried after about twice the longest legitimate run. */
export interface QueueLimits {
  /** Longest a poll job may take: the fetch timeout plus the parse budget, doubled. */
  pollExpireSeconds: number;
  /** Longest a digest range may take to send. */
  digestExpireSeconds: number;
  /**
   * A poll job of a feed never fetched that has waited this long (the poll period: every feed
   * should have been fetched once by then) is raised to the priority of feeds due again, a few
   * at a time, so a steady stream of those never starves it; sooner, or all at once, it would
   * put a cold start's whole backlog ahead of them.
   */
  pollStarveSeconds: number;
}
