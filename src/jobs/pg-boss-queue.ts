/**
 * The JobQueue on pg-boss 10.4 (the only importer of pg-boss; 11+ needs Node 22). Its known 10.x
 * traps, measured here, decide the settings:
 * - `singleton` and `stately` queues stall a whole queue when one key is both queued and active,
 *   so both queues are `short` (one queued job per key, any number active) and our own feed lease
 *   (cluster-store.ts) keeps a feed from being fetched twice;
 * - there is no heartbeat: a job expires `expireInSeconds` after it starts, set to about twice the
 *   longest legitimate job, and the store's lease outlives a zombie's writes anyway (fencing);
 * - a work() loop waits out its polling interval after every batch, even when more jobs wait,
 *   which caps a worker at loops × batchSize jobs per interval (8 feeds a second at the
 *   defaults, measured by the scale benchmark): so our own fetcher (pg-boss's own fetch) fetches
 *   again as soon as a job is done, and waits the interval only when the queue was empty;
 * - its fetch orders the waiting jobs by priority and age, but its index (job_i5) holds neither:
 *   every fetch sorted the whole backlog, 36 ms with 20,000 jobs waiting, which capped a cluster
 *   at about 30 feeds a second whatever its number of workers. An index of our own in its schema
 *   (FETCH_INDEX) makes a fetch read the first few jobs instead: 2.4 ms with the same backlog.
 *
 * pg-boss 10 only polls. An idle fetcher asking each queue every second cost each process
 * 3.3 ms of CPU a second, and PostgreSQL 2 ms more (measured with one worker and nothing due),
 * which is what a third and fourth worker process on two cores added per fetch. So adding jobs
 * also NOTIFYs (in the planner's transaction: heard at its commit), every process LISTENs
 * (store.listen), and an idle fetcher waits for a wake-up, asking again only every
 * IDLE_LISTENING_SECONDS (a digest retry's delay ending is not notified), or every
 * `pollingSeconds` while the LISTEN connection is down.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import PgBoss from 'pg-boss';
import type { Logger } from '../logger.ts';
import { redactSecretParts, redactUrl } from '../redact.ts';
import { CONNECTION_SETTINGS } from '../storage/postgres/connection-settings.ts';
import type { ClusterStore } from '../storage/store.ts';
import type { DigestRangeJob, JobQueue, QueueLimits, WorkOptions } from './job-queue.ts';

const POLL_QUEUE = 'columnwire-poll';
const DIGEST_QUEUE = 'columnwire-digest';
/** pg-boss's own tables live in this schema (env COLUMNWIRE_QUEUE_SCHEMA), apart from columnwire's. */
export const DEFAULT_QUEUE_SCHEMA = 'columnwire_jobs';
/** Never-fetched feeds' jobs raised to the due-again priority per planner batch, once past QueueLimits.pollStarveSeconds. */
const STARVED_PER_PLAN = 100;
/** Our index on pg-boss's job table, in the order its fetch reads waiting jobs (see the header). */
const FETCH_INDEX = 'columnwire_job_fetch';
/** Poll jobs finished within this long of each other are completed in one statement (see completionBatch). */
const COMPLETE_BATCH_MS = 100;
/** The NOTIFY channel of jobs added to the queues in `schema` (schemas of 50 characters at most: it fits PostgreSQL's 63); the payload is the queue. */
const wakeChannel = (schema: string) => `cw_jobs_${schema}`;
/** How often an idle fetcher asks an empty queue while wake-ups are heard. */
const IDLE_LISTENING_SECONDS = 10;

/** Connects pg-boss to `url`, creating its schema and the two queues if needed. */
export async function createPgBossQueue(
  url: string,
  limits: QueueLimits,
  logger: Logger,
  options: { schema?: string; maxConnections?: number; listen?: ClusterStore['listen'] } = {},
): Promise<JobQueue> {
  const settings: PgBoss.ConstructorOptions = {
    // pg-boss hands its options to pg's Pool, keepalive and timeouts included (its types omit them).
    ...CONNECTION_SETTINGS,
    connectionString: url,
    schema: options.schema ?? DEFAULT_QUEUE_SCHEMA,
    max: options.maxConnections ?? 4,
    application_name: 'columnwire-queue',
    // Finished jobs: kept a day for inspection, then deleted (millions a day at fleet scale).
    archiveCompletedAfterSeconds: 3600,
    deleteAfterDays: 1,
    // Columnwire's scheduler decides ticks (schedule_ticks); pg-boss's cron is not used.
    schedule: false,
  };
  let boss: PgBoss;
  // Processes starting together (a fleet's workers) race to create pg-boss's schema and queues,
  // which can deadlock inside PostgreSQL: each retries after a random pause, as a new client.
  for (let attempt = 1; ; attempt++) {
    boss = new PgBoss(settings);
    boss.on('error', (err) => logger.warn({ err }, 'job queue error; it reconnects'));
    try {
      await boss.start();
      await ensureQueues(boss, limits);
      await ensureFetchIndex(boss, settings.schema!);
      break;
    } catch (cause) {
      await boss.stop({ graceful: false, wait: true }).catch(() => {});
      if ((cause as { code?: string }).code === '40P01' && attempt < 8) {
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 400 * attempt));
        continue;
      }
      throw new Error(`jobs: cannot start the job queue on ${redactUrl(url)}: ${redactSecretParts((cause as Error).message, url)}`, {
        cause,
      });
    }
  }
  const jobs = jobTable(settings.schema!);
  const loops: Array<Promise<void>> = [];
  const stopping = new AbortController();
  const wakes = wakeUps(settings.schema!, stopping.signal, options.listen, logger);
  const pollCompletions = completionBatch(
    (ids) => boss.complete(POLL_QUEUE, ids),
    (err) => logger.warn({ err, queue: POLL_QUEUE }, 'poll jobs could not be marked completed; they expire'),
  );
  /** Handles one job: completed, or failed on its own. */
  const handle = async <T extends object>(queue: string, handler: (data: T) => Promise<void>, job: PgBoss.Job<T>) => {
    try {
      await handler(job.data);
      if (queue === POLL_QUEUE) pollCompletions.add(job.id);
      else await boss.complete(queue, job.id);
    } catch (err) {
      // Failed jobs are retried by the queue's own retry settings (digest ranges), or dropped (polls: the planner re-queues).
      await boss.fail(queue, job.id, { message: (err as Error).message }).catch((failErr: unknown) => {
        logger.warn({ err: failErr, queue }, 'job could not be marked failed; it expires and is retried');
      });
    }
  };
  /**
   * One fetcher per queue and process: it keeps up to `concurrency` jobs in hand, fetching as
   * many as are free in one statement as soon as any is free, and waits the polling interval
   * only when the queue was empty. A loop per job slot, as before, polled an empty queue once a
   * second per slot and process: with 4 workers of 32 that was 128 fetches a second between
   * feeds due, the cost that grew with every worker added.
   */
  const dispatch = async <T extends object>(queue: string, handler: (data: T) => Promise<void>, settings: WorkOptions) => {
    const inHand = new Set<Promise<void>>();
    while (!stopping.signal.aborted) {
      if (inHand.size >= settings.concurrency) {
        await Promise.race(inHand);
        continue;
      }
      // Read before fetching: a wake-up between this fetch and the wait below is not missed.
      const seen = wakes.seen(queue);
      let jobs: Array<PgBoss.Job<T>> = [];
      let failed = false;
      try {
        jobs = (await boss.fetch<T>(queue, { batchSize: settings.concurrency - inHand.size })) ?? [];
      } catch (err) {
        failed = true;
        logger.warn({ err, queue }, 'job queue fetch failed; retried after the polling interval');
      }
      if (jobs.length === 0) {
        await wakes.idle(queue, seen, settings.pollingSeconds, failed);
        continue;
      }
      for (const job of jobs) {
        const running: Promise<void> = handle(queue, handler, job).finally(() => inHand.delete(running));
        inHand.add(running);
      }
    }
    await Promise.allSettled(inHand);
  };
  const work = <T extends object>(queue: string, handler: (data: T) => Promise<void>, settings: WorkOptions) => {
    loops.push(dispatch(queue, handler, settings));
    return Promise.resolve();
  };
  return {
    async enqueuePolls(sql, feedIds, retries, dueAgain) {
      if (feedIds.length === 0) return;
      await boss.insert(
        // pg-boss fetches by priority first (higher first), then by age.
        feedIds.map((feedId) => ({
          name: POLL_QUEUE,
          data: { feedId },
          singletonKey: feedId,
          priority: retries?.has(feedId) ? 2 : dueAgain?.has(feedId) ? 1 : 0,
        })),
        { db: { executeSql: (text, values) => sql.executeSql(text, values) } },
      );
      await sql.executeSql('SELECT pg_notify($1, $2)', wakes.notice(POLL_QUEUE));
      // A retry whose old job still waits is not added again (one waiting job per feed): the
      // waiting job is raised to the retry's priority.
      if (retries && retries.size > 0) {
        await sql.executeSql(
          `UPDATE ${jobs} SET priority = 2 WHERE name = $1 AND state = 'created' AND singleton_key = ANY($2::text[]) AND priority < 2`,
          [POLL_QUEUE, [...retries]],
        );
      }
      // Feeds due again go before feeds never fetched; those waiting a whole poll period join
      // them, oldest first, a few each time (STARVED_PER_PLAN), so none waits for ever and a
      // backlog older than a period never goes ahead of the feeds due again all at once (raising
      // every waiting job at requeueAfterMs did: lag p99 159 s, measured). SKIP LOCKED: another
      // planner raising at once takes other jobs instead of waiting for (or deadlocking with) it.
      // The CTE runs once: as an IN (subquery) it may run again per row, raising past the LIMIT.
      await sql.executeSql(
        `WITH starved AS MATERIALIZED (
           SELECT id FROM ${jobs} WHERE name = $1 AND state = 'created' AND priority < 1 AND created_on < now() - make_interval(secs => $2)
           ORDER BY created_on, id LIMIT $3 FOR UPDATE SKIP LOCKED)
         UPDATE ${jobs} AS job SET priority = 1 FROM starved WHERE job.name = $1 AND job.id = starved.id`,
        [POLL_QUEUE, limits.pollStarveSeconds, STARVED_PER_PLAN],
      );
    },
    async enqueueDigestRanges(jobs) {
      if (jobs.length === 0) return;
      await boss.insert(jobs.map((job) => ({ name: DIGEST_QUEUE, data: job, singletonKey: `${job.runId}:${job.from}` })));
      await boss.getDb().executeSql('SELECT pg_notify($1, $2)', wakes.notice(DIGEST_QUEUE));
    },
    workPolls: (handler, settings) => work<{ feedId: string }>(POLL_QUEUE, (data) => handler(data.feedId), settings),
    workDigests: (handler, settings) => work<DigestRangeJob>(DIGEST_QUEUE, handler, settings),
    async depths() {
      const [polls, digests] = await Promise.all([boss.getQueueSize(POLL_QUEUE), boss.getQueueSize(DIGEST_QUEUE)]);
      return { polls, digests };
    },
    async stop(graceMs) {
      // Jobs in hand finish (up to the grace period); no loop fetches again.
      stopping.abort();
      await Promise.race([Promise.allSettled(loops), sleep(Math.max(1000, graceMs))]);
      await pollCompletions.flush();
      await wakes.close();
      await boss.stop({ graceful: true, wait: true, timeout: Math.max(1000, graceMs) });
    },
  };
}

/**
 * Job ids completed together: one statement and one commit for the jobs added within
 * COMPLETE_BATCH_MS, rather than one each (a commit per feed, a quarter of a poll's round trips
 * when nothing changed). For poll jobs only: one whose completion is lost (the process killed
 * within that time) expires and is dropped (no retries), and the feed's own row, written by the
 * poll, says when it is due; a digest range's job completes at once, as a lost one is sent again.
 */
function completionBatch(complete: (ids: string[]) => Promise<unknown>, onError: (err: unknown) => void) {
  let ids: string[] = [];
  let timer: NodeJS.Timeout | null = null;
  let sent: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = ids;
    ids = [];
    if (batch.length > 0) sent = sent.then(() => complete(batch)).then(() => {}, onError);
    return sent;
  };
  return {
    add(id: string): void {
      ids.push(id);
      timer ??= setTimeout(() => void flush(), COMPLETE_BATCH_MS).unref();
    },
    flush,
  };
}

/**
 * The wake-ups of idle fetchers: each queue's count of notices heard (jobs added anywhere in the
 * cluster, or the LISTEN connection made again), and the fetchers waiting for the next one.
 */
function wakeUps(schema: string, stopping: AbortSignal, listen: ClusterStore['listen'] | undefined, logger: Logger) {
  const heard = new Map<string, number>();
  const waiting = new Map<string, Set<() => void>>();
  const wake = (queue: string) => {
    heard.set(queue, (heard.get(queue) ?? 0) + 1);
    for (const go of [...(waiting.get(queue) ?? [])]) go();
  };
  let lost = false;
  const listener =
    listen?.(
      wakeChannel(schema),
      wake,
      () => {
        if (lost) logger.info('job wake-ups heard again (LISTEN); idle fetchers wait for them');
        lost = false;
        [POLL_QUEUE, DIGEST_QUEUE].forEach(wake);
      },
      (err) => {
        lost = true;
        logger.warn({ err }, 'job wake-ups lost (LISTEN); idle fetchers ask the queue every polling interval until they are back');
      },
    ) ?? null;
  return {
    /** The notice count of `queue` now, for idle(). */
    seen: (queue: string): number => heard.get(queue) ?? 0,
    /** pg_notify's arguments telling every process that `queue` has new jobs. */
    notice: (queue: string): [string, string] => [wakeChannel(schema), queue],
    /**
     * Resolves at the next notice for `queue` after `seen` (at once if one came already), at
     * stop, or after IDLE_LISTENING_SECONDS while listening; after `pollingSeconds` when not
     * listening, or when the fetch `failed` (the database may be back sooner than a notice).
     */
    idle(queue: string, seen: number, pollingSeconds: number, failed: boolean): Promise<void> {
      if ((heard.get(queue) ?? 0) !== seen || stopping.aborted) return Promise.resolve();
      const waitSeconds = listener?.listening && !failed ? Math.max(pollingSeconds, IDLE_LISTENING_SECONDS) : pollingSeconds;
      const waiters = waiting.get(queue) ?? new Set<() => void>();
      waiting.set(queue, waiters);
      return new Promise<void>((resolve) => {
        const go = () => {
          clearTimeout(timer);
          waiters.delete(go);
          stopping.removeEventListener('abort', go);
          resolve();
        };
        const timer = setTimeout(go, waitSeconds * 1000);
        waiters.add(go);
        stopping.addEventListener('abort', go, { once: true });
      });
    },
    close: async (): Promise<void> => listener?.close(),
  };
}

/** pg-boss's (partitioned) job table in `schema`, quoted. */
const jobTable = (schema: string): string => `"${schema.replaceAll('"', '""')}".job`;

/**
 * Creates FETCH_INDEX unless it exists. On pg-boss's partitioned job table, so every queue's
 * partition has it, those created later too. Another process creating it at the same moment is
 * no failure (a unique violation on the catalog); a deadlock is retried by the caller.
 */
async function ensureFetchIndex(boss: PgBoss, schema: string): Promise<void> {
  const table = jobTable(schema);
  try {
    await boss
      .getDb()
      .executeSql(`CREATE INDEX IF NOT EXISTS ${FETCH_INDEX} ON ${table} (name, priority DESC, created_on, id) WHERE state < 'active'`, []);
  } catch (cause) {
    if ((cause as { code?: string }).code !== '23505') throw cause;
  }
}

/** Creates the two queues unless they exist. */
async function ensureQueues(boss: PgBoss, limits: QueueLimits): Promise<void> {
  if (!(await boss.getQueue(POLL_QUEUE))) {
    await boss.createQueue(POLL_QUEUE, { name: POLL_QUEUE, policy: 'short', retryLimit: 0, expireInSeconds: limits.pollExpireSeconds });
  }
  if (!(await boss.getQueue(DIGEST_QUEUE))) {
    await boss.createQueue(DIGEST_QUEUE, {
      name: DIGEST_QUEUE,
      policy: 'short',
      retryLimit: 5,
      retryDelay: 30,
      retryBackoff: true,
      expireInSeconds: limits.digestExpireSeconds,
    });
  }
}
