/**
 * The scheduler role of `columnwire run` in PostgreSQL mode. Any number of processes may run it:
 * each tick (a minute for polls, a digest's cron time) is claimed in the database by one of them,
 * and every planner is idempotent on its own keys (a feed queued once, a digest run once per
 * cursor and per scheduled minute, a range job once while queued), so a duplicate tick creates
 * nothing; a claim whose work was not done is no loss either, since the next tick does it.
 *
 * - every tick (a minute): the due feeds are queued, in transactions of PLAN_BATCH, with their jobs;
 * - at each digest's time: its run is created with every recipient pending, and one job per
 *   range of recipients is queued;
 * - every tick: a digest time whose run was not made (its scheduler died, or the store failed
 *   it) gets it, and runs left unfinished (a worker died, SMTP refused) get their pending ranges
 *   queued again;
 * - at start and every hour: old tick claims, stories past retentionDays and the copies of
 *   digest runs finished before deliveryRetentionDays are pruned.
 */
import type { App } from '../app.ts';
import type { Config } from '../config/load.ts';
import type { DigestConfig } from '../config/schema.ts';
import { pruneDeliveries } from '../digest/prune-deliveries.ts';
import { createRun, type DigestDeps } from '../digest/run-digest.ts';
import { UsageError } from '../errors.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { createScheduler, lastScheduledRun } from '../scheduler.ts';
import { isOwnerDead } from '../storage/process-owner.ts';
import { retentionCutoff } from '../support/retention.ts';
import { digestStartJob } from '../storage/postgres/cluster-store.ts';
import type { ClusterStore, Store } from '../storage/store.ts';

/** Feeds queued per planner transaction. */
const PLAN_BATCH = 5_000;
/** How far back the sweep looks for a digest start claimed but never made (a scheduler down over a weekend still owes it). */
const SWEEP_LOOKBACK_MS = 7 * 24 * 3600_000;
/** How long the claims of the per-tick jobs (planning, sweeping) are kept: a day, for whoever looks into a tick. */
const TICK_CLAIMS_KEPT_MS = 24 * 3600_000;
/**
 * How long every other claim is kept (a digest's start and its settled minutes): well past the
 * sweep's lookback and the 8 days a start looks back for a missed run, which read them.
 */
const DIGEST_CLAIMS_KEPT_MS = 30 * 24 * 3600_000;
/** The per-tick jobs, whose claims go after TICK_CLAIMS_KEPT_MS. */
const TICK_JOBS = ['poll', 'digest-sweep', 'tick-pruning'];
/** Recipients per digest job: a job is a few minutes of sending at most. */
export const DIGEST_RANGE = 500;
/** How often the planners run, in seconds (env COLUMNWIRE_CLUSTER_TICK_SECONDS: 1 to 60, a divisor of 60; default 60). */
export function clusterTickSeconds(env: NodeJS.ProcessEnv): number {
  const raw = env.COLUMNWIRE_CLUSTER_TICK_SECONDS;
  if (raw === undefined || raw.trim() === '') return 60;
  const value = Number(raw);
  if (Number.isInteger(value) && value >= 1 && value <= 60 && 60 % value === 0) return value;
  throw new UsageError(
    `COLUMNWIRE_CLUSTER_TICK_SECONDS must be a whole number of seconds that divides a minute (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60), got ${JSON.stringify(raw)}`,
  );
}

export interface SchedulerRole {
  /** Reschedules the digests of a reloaded config. */
  reschedule(config: Config): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the planners in this process. `requeueAfterMs`: a feed queued this long without a worker taking it is queued again. */
export async function startSchedulerRole(
  app: App & { store: Store & ClusterStore },
  queue: JobQueue,
  digestDeps: () => Promise<DigestDeps>,
  requeueAfterMs: number,
  tickSeconds = 60,
): Promise<SchedulerRole> {
  const { store, logger } = app;
  const now = () => app.poll.now();
  const scheduler = createScheduler(logger);
  const tickMs = tickSeconds * 1000;
  const tickOf = (at: Date): Date => new Date(Math.floor(at.getTime() / tickMs) * tickMs);
  // An unfinished run younger than two ticks is still being sent from its first jobs: not swept yet.
  const sweepAfterMs = 2 * tickMs;
  const everyTick = tickSeconds === 60 ? '* * * * *' : `*/${tickSeconds} * * * * *`;

  const planPolls = async () => {
    const at = now();
    if (!(await store.claimTick('poll', tickOf(at), at))) return;
    let queued = 0;
    for (;;) {
      const ids = await store.planPolls(at, { limit: PLAN_BATCH, requeueAfterMs, isOwnerDead }, (sql, feedIds, retries, dueAgain) =>
        queue.enqueuePolls(sql, feedIds, retries, dueAgain),
      );
      queued += ids.length;
      if (ids.length < PLAN_BATCH) break;
    }
    if (queued > 0) logger.info({ queued }, 'poll planner queued the due feeds');
  };

  const queueRanges = async (digestId: string, runId: number) => {
    const ranges = await store.pendingRanges(runId, DIGEST_RANGE);
    await queue.enqueueDigestRanges(ranges.map(([from, to]) => ({ runId, digestId, from, to })));
    return ranges.length;
  };

  /**
   * Makes `digest`'s run for its scheduled minute `slot`, unless the slot is settled: its run
   * exists, or it had nothing to send. The slot is settled in the run's own transaction, so
   * however many schedulers try, it gets one run, and it has one once settled.
   */
  const settling = new Set<string>(); // slots this process is making the run of (a catch-up and the sweep plan one once)
  const settleSlot = async (digest: DigestConfig, slot: Date) => {
    const key = `${digest.id} ${slot.getTime()}`;
    if (settling.has(key) || (await store.digestSlotSettled(digest.id, slot))) return;
    settling.add(key);
    try {
      const created = await createRun(digest, await digestDeps(), (run) => store.claimScheduledDigestRun(run, slot));
      if (created.kind === 'settled') return;
      if (created.kind === 'empty') {
        await store.settleDigestSlot(digest.id, slot, now());
        return void logger.info({ digestId: digest.id }, 'digest skipped: nothing new');
      }
      const jobs = await queueRanges(digest.id, created.run.id);
      logger.info({ digestId: digest.id, runId: created.run.id, jobs }, 'digest run created; its recipients are queued in ranges');
    } finally {
      settling.delete(key);
    }
  };

  // At a digest's time every scheduler's cron fires: the first to claim the start plans the run,
  // so one renders it. That claim is only who goes first: should its run not appear (its
  // scheduler died, or the store failed it), the sweep makes it.
  const startDigest = async (digest: DigestConfig, slot: Date) => {
    if (!(await store.claimTick(digestStartJob(digest.id), slot, now()))) return;
    await settleSlot(digest, slot);
  };

  const sweep = async () => {
    const at = now();
    if (!(await store.claimTick('digest-sweep', tickOf(at), at))) return;
    for (const digest of app.config.digests) {
      // A start claimed (its cron fired) and still unsettled two ticks on: whoever claimed it did
      // not make its run. Only minutes a scheduler's cron did fire are made up here, never ones
      // worked out from the schedule: a time a reload moved, or the first 02:30 of a night the
      // clocks go back (cron fires the second), owes no run.
      const unsettled = await store.unsettledDigestStarts(
        digest.id,
        new Date(at.getTime() - SWEEP_LOOKBACK_MS),
        new Date(at.getTime() - sweepAfterMs),
      );
      const latest = unsettled.pop();
      // The latest run takes every story since the last one: the older minutes owe nothing more.
      for (const older of unsettled) await store.settleDigestSlot(digest.id, older, at);
      if (latest) await settleSlot(digest, latest);
      for (const run of await store.unfinishedDigestRuns(digest.id)) {
        if (at.getTime() - run.createdAt.getTime() < sweepAfterMs) continue;
        if ((await queueRanges(digest.id, run.id)) === 0) await store.finishDigestRunIfDone(run.id, at);
      }
    }
  };

  // Hourly, by one scheduler (the hour is claimed), what would otherwise grow for ever:
  // - tick claims, a row per job and tick (two a minute, 172,800 a day at a tick of a second);
  // - stories published before retentionDays, as a single process prunes after each poll cycle;
  // - the copies of digest runs finished before deliveryRetentionDays (their counts stay).
  let current = app.config;
  const upkeep = async () => {
    const at = now();
    const hour = new Date(Math.floor(at.getTime() / 3600_000) * 3600_000);
    if (!(await store.claimTick('tick-pruning', hour, at))) return;
    // Each part on its own: one that fails (a lock wait, a blip) leaves the others to run now,
    // and is tried again at the next hour.
    const parts: [string, () => Promise<void>][] = [
      [
        'tick claims',
        async () => {
          const pruned =
            (await store.pruneScheduleTicks(new Date(at.getTime() - TICK_CLAIMS_KEPT_MS), TICK_JOBS)) +
            (await store.pruneScheduleTicks(new Date(at.getTime() - DIGEST_CLAIMS_KEPT_MS)));
          if (pruned > 0) logger.info({ pruned }, 'old scheduler tick claims pruned');
        },
      ],
      [
        'stories',
        async () => {
          const { retentionDays } = current;
          const before = retentionCutoff(at, retentionDays);
          const stories = before ? await store.pruneStories(before) : 0;
          if (stories > 0) logger.info({ pruned: stories, days: retentionDays }, 'stories past retentionDays pruned');
        },
      ],
      ['digest copies', async () => void (await pruneDeliveries(current, store, at, logger))],
    ];
    for (const [part, prune] of parts)
      await prune().catch((err: unknown) => logger.error({ err, part }, 'upkeep: pruning failed; the next hour tries again'));
  };

  const guarded = (what: string, job: () => Promise<void>) => () =>
    job().catch((err: unknown) => logger.error({ err, job: what }, 'scheduler job failed; the next tick tries again'));

  // A digest's slot is its minute: a six-field schedule firing several times in one minute makes
  // one run there (its first claim), so the claims and runs stay one a minute at most.
  const scheduleDigests = async (config: Config) => {
    for (const name of scheduler.names()) if (name.startsWith('digest:')) await scheduler.remove(name);
    for (const digest of config.digests) {
      scheduler.add(
        `digest:${digest.id}`,
        digest.schedule,
        guarded(`digest:${digest.id}`, () => startDigest(digest, new Date(Math.floor(now().getTime() / 60_000) * 60_000))),
        digest.timezone,
      );
    }
  };

  scheduler.add('cluster:poll', everyTick, guarded('poll planner', planPolls));
  scheduler.add('cluster:digest-sweep', everyTick, guarded('digest sweep', sweep));
  scheduler.add('cluster:upkeep', '7 * * * *', guarded('upkeep', upkeep));
  await scheduleDigests(app.config);
  // A start plans at once, and owes each digest the run its schedule missed while no scheduler ran.
  void guarded('poll planner', planPolls)();
  void guarded('upkeep', upkeep)();
  for (const digest of app.config.digests) {
    void guarded(`digest catch-up ${digest.id}`, async () => {
      const latest = await store.latestDigestRun(digest.id);
      if (!latest) return;
      const missed = lastScheduledRun(digest.schedule, digest.timezone, latest.createdAt, now());
      if (missed) await startDigest(digest, missed);
    })();
  }
  return {
    reschedule: (config) => {
      current = config;
      return scheduleDigests(config);
    },
    stop: () => scheduler.stop(),
  };
}
