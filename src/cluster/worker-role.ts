/**
 * The worker role of `columnwire run` in PostgreSQL mode: takes poll jobs (one feed, fetched under
 * a lease) and digest jobs (one address range of a run) from the queue. Totals go to the shared
 * counters every few seconds (one write per flush, not per feed: the counters are a hot row).
 */
import type { App } from '../app.ts';
import type { DigestConfig } from '../config/schema.ts';
import { readStandings, renderRun, sendDeliveries, type DigestDeps, type Standings } from '../digest/run-digest.ts';
import type { RenderedDigest } from '../digest/render-digest.ts';
import { pollLeasedFeed, type LeasedPollResult } from '../feeds/poll-leased.ts';
import type { DigestRangeJob, JobQueue } from '../jobs/job-queue.ts';
import type { DigestRun } from '../model.ts';
import { processOwnerId } from '../storage/process-owner.ts';
import type { ClusterStore, CounterName, Store } from '../storage/store.ts';

/** Counters are flushed this often (and at stop). */
const FLUSH_MS = 5_000;
/** A run's rendered digest and standings are reused for this long by the ranges one worker sends. */
const RUN_CACHE_MS = 60_000;

export interface WorkerRole {
  stop(): Promise<void>;
}

/** Starts working both queues in this process. */
export async function startWorkerRole(
  app: App & { store: Store & ClusterStore },
  queue: JobQueue,
  digestDeps: () => Promise<DigestDeps>,
): Promise<WorkerRole> {
  const { store, logger } = app;
  const totals: Partial<Record<CounterName, number>> = {};
  const add = (name: CounterName, value: number) => void (totals[name] = (totals[name] ?? 0) + value);
  const count = (result: LeasedPollResult) => {
    if (result.kind !== 'polled') return;
    const { outcome } = result;
    if (outcome.kind === 'stored') {
      add('fetches.stored', 1);
      add('stories.added', outcome.added);
      add('stories.updated', outcome.updated);
    } else if (outcome.kind === 'not-modified') add('fetches.not_modified', 1);
    else if (outcome.kind === 'failed') add('fetches.failed', 1);
  };
  let flushing = Promise.resolve();
  const flush = () => {
    const batch = { ...totals };
    for (const name of Object.keys(totals) as CounterName[]) delete totals[name];
    flushing = flushing
      .then(() => store.recordPollCycle(batch, app.poll.now()))
      .catch((err: unknown) => {
        for (const [name, value] of Object.entries(batch) as Array<[CounterName, number]>) add(name, value);
        logger.warn({ err }, 'could not record the poll counters; kept for the next flush');
      });
    return flushing;
  };
  const timer = setInterval(() => void flush(), FLUSH_MS);
  const owner = processOwnerId();
  const pollSettings = app.config.poll;
  await queue.workPolls(
    async (feedId) => {
      const result = await pollLeasedFeed(feedId, {
        ...app.poll,
        store,
        logger,
        owner,
        config: app.config,
        leaseMs: (2 * (pollSettings.timeoutSeconds + pollSettings.parseTimeoutSeconds) + 10) * 1000,
      });
      count(result);
    },
    { concurrency: pollSettings.concurrency, pollingSeconds: 1 },
  );

  const runs = new Map<number, { at: number; run: DigestRun; rendered: RenderedDigest; standings: Standings }>();
  let deps: DigestDeps | null = null;
  /** Sends one range of a run: the pending copies in it, each claimed first. Throws when some are left to retry. */
  const sendRange = async (job: DigestRangeJob) => {
    const digest: DigestConfig | undefined = app.config.digests.find((candidate) => candidate.id === job.digestId);
    if (!digest) return void logger.warn({ job }, 'digest job for a digest no longer in the config; dropped');
    deps ??= await digestDeps();
    let cached = runs.get(job.runId);
    if (!cached || Date.now() - cached.at > RUN_CACHE_MS) {
      const run = (await store.unfinishedDigestRuns(job.digestId)).find((candidate) => candidate.id === job.runId);
      if (!run) return; // finished meanwhile
      // MJML compiled once per run per worker; every range this worker sends fills it.
      const rendered = cached?.rendered ?? (await renderRun(digest, run, deps));
      // Read again with the cache (unsubscribes, bounces, choices); the copies per choice render once per selection.
      const standings = await readStandings(digest, run, rendered, deps);
      runs.set(job.runId, (cached = { at: Date.now(), run, rendered, standings }));
    }
    const open = await store.pendingDeliveries(job.runId, job.from, job.to);
    await sendDeliveries(digest, cached.run, cached.rendered, open, deps, cached.standings);
    await store.finishDigestRunIfDone(job.runId, app.poll.now());
    const left = await store.pendingDeliveries(job.runId, job.from, job.to);
    const unclaimed = left.filter((delivery) => delivery.claimedAt === null);
    if (unclaimed.length > 0)
      throw new Error(
        `digest: ${unclaimed.length} copies of run ${job.runId} still pending (${unclaimed[0]!.lastError ?? 'not sent'}); retried later`,
      );
  };
  await queue.workDigests(sendRange, { concurrency: 2, pollingSeconds: 2 });
  return {
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
