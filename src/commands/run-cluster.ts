/**
 * `columnwire run` on PostgreSQL: the service as any mix of roles (http, worker, scheduler), in
 * as many processes as the installation needs, all on one database. The queue (pg-boss) only
 * distributes work; the store decides what is due, who holds a feed and what a digest owes.
 */
import type { App } from '../app.ts';
import { clusterTickSeconds, startSchedulerRole, type SchedulerRole } from '../cluster/scheduler-role.ts';
import { startWorkerRole, type WorkerRole } from '../cluster/worker-role.ts';
import { isUnchanged } from '../config/diff-config.ts';
import { ConfigError } from '../config/load.ts';
import { reloadConfig } from '../config/reload-config.ts';
import { editedSince, watchConfig } from '../config/watch-config.ts';
import type { DigestDeps } from '../digest/run-digest.ts';
import { messageOf, UsageError } from '../errors.ts';
import { createPgBossQueue } from '../jobs/pg-boss-queue.ts';
import { scheduleIntervalMinutes } from '../scheduler.ts';
import { isClusterStore, type ClusterStore, type Store } from '../storage/store.ts';
import type { Role } from './run-roles.ts';

/**
 * The schema for pg-boss's tables from COLUMNWIRE_QUEUE_SCHEMA (null: pg-boss-queue.ts's default);
 * a name PostgreSQL takes unquoted, lower-cased as PostgreSQL folds it: pg-boss writes it
 * unquoted, our own statements (its job table, the fetch index) quote it.
 */
export function queueSchema(env: NodeJS.ProcessEnv): string | null {
  const value = env.COLUMNWIRE_QUEUE_SCHEMA?.trim();
  if (!value) return null;
  if (/^[A-Za-z_][A-Za-z0-9_]{0,49}$/.test(value)) return value.toLowerCase();
  throw new UsageError(
    `COLUMNWIRE_QUEUE_SCHEMA must be a schema name of letters, digits and underscores, not starting with a digit, at most 50 characters; got ${JSON.stringify(value)}`,
  );
}

/** Past twice the grace period, this much more for the stop to end before the process exits anyway. */
const STOP_MARGIN_MS = 10_000;

/**
 * Exits (1) once the stop has taken `ms`. A database gone silent (a partition: no reset, no
 * answer) holds every step that waits for it, the pools' close included, and would keep the
 * process alive after SIGTERM for ever. Unref'd: a stop that ends in time is not held by it.
 */
function forceExitAfter(ms: number, app: App): void {
  setTimeout(() => {
    app.logger.error({ waitedSeconds: ms / 1000 }, 'stopping took too long (is the database reachable?); exiting');
    process.exit(1);
  }, ms).unref();
}

/** Runs `roles` until `stopSignal`; returns the exit code. `databaseUrl` is where the queue lives too; the config was read after `configReadFromMs`. */
export async function runCluster(
  app: App,
  roles: ReadonlySet<Role>,
  databaseUrl: string,
  stopSignal: Promise<void>,
  configReadFromMs: number,
): Promise<number> {
  const { store } = app;
  if (!isClusterStore(store)) throw new Error('run: roles need the PostgreSQL store');
  const clustered = app as App & { store: Store & ClusterStore };
  const { poll } = app.config;
  // Each feed is polled on its own clock here: the schedule's interval is every feed's period.
  const withPeriod = () => ({ ...app.poll.settings, minIntervalMs: scheduleIntervalMinutes(app.config.poll.schedule) * 60_000 });
  app.poll.settings = withPeriod();
  // About twice the longest a feed may legitimately take (fetch timeout plus parse budget), and some slack.
  const pollExpireSeconds = 2 * (poll.timeoutSeconds + poll.parseTimeoutSeconds) + 10;
  const pollStarveSeconds = scheduleIntervalMinutes(app.config.poll.schedule) * 60;
  // Read before anything starts: a bad value is the operator's to fix (exit 2), not a crash later.
  const tickSeconds = clusterTickSeconds(process.env);
  const schema = queueSchema(process.env);
  const queue = await createPgBossQueue(databaseUrl, { pollExpireSeconds, digestExpireSeconds: 30 * 60, pollStarveSeconds }, app.logger, {
    ...(schema ? { schema } : {}),
    // An idle worker waits for jobs added anywhere in the cluster to be notified, instead of asking every second.
    ...(roles.has('worker') ? { listen: clustered.store.listen.bind(clustered.store) } : {}),
  });
  const made: { deps: Promise<DigestDeps> | null } = { deps: null };
  const deps = () => (made.deps ??= app.digestDeps());
  let scheduler: SchedulerRole | null = null;
  let worker: WorkerRole | null = null;
  let server: Awaited<ReturnType<App['startServer']>> | null = null;
  try {
    if (roles.has('http')) {
      server = await app.startServer({ feeds: () => clustered.store.clusterGauges(app.poll.now()), queues: () => queue.depths() });
    }
    if (roles.has('worker')) worker = await startWorkerRole(clustered, queue, deps);
    if (roles.has('scheduler')) scheduler = await startSchedulerRole(clustered, queue, deps, pollExpireSeconds * 1000, tickSeconds);
    app.logger.info(
      { roles: [...roles], url: server?.url ?? null, feeds: app.config.feeds.length, digests: app.config.digests.length },
      'columnwire started',
    );
    /** `quietIfUnchanged`: the start's second read, which changes and says nothing when the file did not change. */
    const reload = async (quietIfUnchanged = false) => {
      try {
        const next = reloadConfig(app.config.path);
        if (quietIfUnchanged && isUnchanged(app.config, next)) return;
        await app.reconfigure(next);
        app.poll.settings = withPeriod();
        await scheduler?.reschedule(next);
        app.logger.info({ feeds: next.feeds.length }, 'config reloaded');
      } catch (error) {
        const problems = error instanceof ConfigError ? error.problems : [messageOf(error)];
        app.logger.error({ problems }, 'config reload failed; the running config stays');
      }
    };
    const watcher = watchConfig(
      app.config.path,
      () => void reload(),
      (err) => app.logger.warn({ err }, 'config watch failed'),
    );
    const hangup = () => void reload();
    process.on('SIGHUP', hangup);
    // An edit while the process was starting came before the watch: read once more (a SIGHUP
    // then was ignored, as README says).
    if (editedSince(app.config.path, configReadFromMs)) void reload(true);
    await stopSignal;
    watcher.close();
    process.off('SIGHUP', hangup);
    const graceMs = app.config.shutdownGraceSeconds * 1000;
    app.logger.info({ graceSeconds: graceMs / 1000 }, 'stopping: no new jobs; waiting for the ones in flight');
    forceExitAfter(2 * graceMs + STOP_MARGIN_MS, app);
    await scheduler?.stop();
    await queue.stop(graceMs);
    await worker?.stop();
    await server?.close(graceMs);
    app.logger.info('stopped');
    return 0;
  } finally {
    await scheduler?.stop().catch(() => {});
    await queue.stop(0).catch(() => {});
    if (made.deps) (await made.deps).mailer.close();
  }
}
