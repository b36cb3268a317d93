/** `columnwire run`: the service. Serves HTTP, polls and sends digests on their schedules, until stopped. */
import type { App } from '../app.ts';
import { diffConfig, isUnchanged } from '../config/diff-config.ts';
import { ConfigError, type Config } from '../config/load.ts';
import { reloadConfig } from '../config/reload-config.ts';
import { editedSince, watchConfig } from '../config/watch-config.ts';
import type { DigestConfig } from '../config/schema.ts';
import { loadTemplates, type Templates } from '../digest/render-digest.ts';
import { resumeDigest, runDigest, type DigestDeps, type RunReport } from '../digest/run-digest.ts';
import { pollAll } from '../feeds/poll-all.ts';
import { createScheduler, lastScheduledRun, type Scheduler } from '../scheduler.ts';
import { messageOf } from '../errors.ts';
import { lockDataFolder, watchDataLock, type DataLock } from '../storage/data-lock.ts';
import { UsageError } from '../errors.ts';
import { openApp, parseCommandArgs, type Command, type GlobalOptions } from './command.ts';
import { parseRoles, ROLES } from './run-roles.ts';

const help = `Usage: columnwire run [--roles http,worker,scheduler]

Runs the service: the HTTP server (server.host:server.port; env HOST and PORT override),
the poller, which polls on poll.schedule (cron) and at start polls only the feeds that are
due (never fetched, moved to a new URL, or past a poll they missed while it was down), and each
digest on its schedule in its time zone. A digest run missed while the service was down,
or interrupted, is sent once at start.

The config file is watched: a valid change applies without a restart (new feeds are
fetched at once, and feeds whose URL changed; other feeds keep their schedule, so a title
or tag edit fetches nothing; removed ones are polled no longer, schedules and digests updated); an invalid one is
logged with every problem and the running config stays. SIGHUP reloads it too, and
re-reads the digest templates.

One service per data folder: a second "columnwire run" on the same --data exits 2,
naming the pid of the first. One-shot commands (poll, digest, stats, ...) work beside it.
The service re-checks its lock every few seconds (and on SIGHUP): a deleted run.lock is
locked again, and if another run got it first, this one stops with exit 2.

SIGINT or SIGTERM stops it: no new polls or digest messages start, the ones in flight get
shutdownGraceSeconds (default 10) to finish, then the server and database are closed and
it exits 0. A second signal exits at once. Logs go to stderr: JSON lines, or readable
lines on a terminal (LOG_LEVEL sets the level, LOG_FORMAT=json|pretty the format).

With PostgreSQL (database: or COLUMNWIRE_DATABASE_URL), any number of processes may run
against one database, each with some of the roles: http (the server), worker (fetches feeds
and sends digest copies from the job queue), scheduler (plans: queues the due feeds every
minute, creates digest runs at their times; several may run, each tick is taken by one).
Without --roles a process has all three, which is the embedded mode. See README, "Scaling out".

Options:
  --roles LIST   http, worker and/or scheduler, comma-separated (PostgreSQL only; default all)
  -h, --help     show this help`;

export const runCommand: Command = {
  name: 'run',
  help,
  async run({ argv, globals, stopSignal }) {
    const { values } = parseCommandArgs('run', argv, { roles: { type: 'string' } });
    const roles = parseRoles(values.roles);
    const cluster = await clusterTarget(globals);
    // The config is read after this moment: an edit later than it is looked for once the watch is on.
    const configReadFromMs = Date.now();
    if (cluster) {
      // SIGHUP's default action kills the process: ignored while it opens the database, migrates
      // and starts pg-boss (runCluster reloads on it from then on).
      const ignoreHangup = (): void => {};
      process.on('SIGHUP', ignoreHangup);
      try {
        // The feed list in PostgreSQL is the schedulers' (they plan from it): a worker or http
        // process reading a stale copy of feeds.yaml must not retire feeds or move them back.
        const app = await openApp(globals, 'info', roles.has('scheduler') ? 'read-write' : 'read-only');
        try {
          const { runCluster } = await import('./run-cluster.ts');
          return await runCluster(app, roles, cluster, stopSignal, configReadFromMs);
        } finally {
          await app.close();
        }
      } finally {
        process.off('SIGHUP', ignoreHangup);
      }
    }
    if (values.roles !== undefined && roles.size < ROLES.length) {
      throw new UsageError(
        `run: --roles needs PostgreSQL (database: in the config, or COLUMNWIRE_DATABASE_URL); the embedded SQLite service runs all roles in one process`,
      );
    }
    // Before the app opens: a second service must not even sync its feed list into the folder.
    const lock: DataLock = lockDataFolder(globals.dataDir, 'run');
    // SIGHUP's default action kills the process: handled from the first moment to the last.
    // One that comes while the service starts is carried out once the watch is on.
    let hangupWhileStarting = false;
    let onHangup = (): void => void (hangupWhileStarting = true);
    const hangup = () => onHangup();
    process.on('SIGHUP', hangup);
    let app: App;
    try {
      app = await openApp(globals, 'info');
    } catch (error) {
      process.off('SIGHUP', hangup);
      lock.release();
      throw error;
    }
    const service = createService(app);
    const lockWatch = watchDataLock(lock, app.dataDir, app.logger);
    try {
      const server = await app.startServer();
      await service.start();
      app.logger.info(
        {
          url: server.url,
          feeds: app.config.feeds.length,
          digests: app.config.digests.length,
          schedule: app.config.poll.schedule,
          dataDir: app.dataDir,
          nextPoll: service.scheduler.nextRun('poll'),
        },
        'columnwire started',
      );
      const watcher = watchConfig(
        app.config.path,
        () => void service.reload('file'),
        (err) => app.logger.warn({ err }, 'config watch failed'),
      );
      onHangup = () => {
        lockWatch.check();
        void service.reload('SIGHUP');
      };
      // An edit (or SIGHUP) while the service was starting came before the watch: read once more.
      if (hangupWhileStarting) void service.reload('SIGHUP');
      else if (editedSince(app.config.path, configReadFromMs)) void service.reload('start');
      const lost = await Promise.race([stopSignal.then(() => false), lockWatch.lost.then(() => true)]);
      onHangup = () => {};
      watcher.close();
      const graceMs = app.config.shutdownGraceSeconds * 1000;
      app.logger.info(
        { graceSeconds: graceMs / 1000, inFlight: service.busy.size },
        'stopping: no new polls or digest messages; waiting for work in flight',
      );
      await service.stop();
      // One grace period for everything: the server's open requests and the work in flight.
      const [, finished] = await Promise.all([server.close(graceMs), settleWithin(service.busy, graceMs)]);
      if (!finished)
        app.logger.warn({ abandoned: service.busy.size }, 'grace period over; stopping with work unfinished (it resumes at next start)');
      app.logger.info('stopped');
      return lost ? 2 : 0;
    } finally {
      lockWatch.stop();
      await service.stop();
      service.closeMailer();
      await app.close();
      lock.release();
      process.off('SIGHUP', hangup);
    }
  },
};

type ReloadTrigger = 'file' | 'SIGHUP' | 'start';

/** The scheduled half of the service: poll and digest jobs, reload, and what is in flight. */
function createService(app: App) {
  const scheduler: Scheduler = createScheduler(app.logger);
  const busy = new Set<Promise<unknown>>();
  const shutdown = new AbortController();
  app.poll.signal = shutdown.signal;
  let digestDeps: DigestDeps | null = null;
  let reloading: Promise<void> = Promise.resolve();
  const digestQueues = new Map<string, Promise<void>>();

  const track = <T>(work: Promise<T>): Promise<T> => {
    busy.add(work);
    void work.finally(() => busy.delete(work)).catch(() => {});
    return work;
  };
  // One poll cycle at a time; requests made while one runs are merged into one more cycle after it.
  let cycle: Promise<void> | null = null;
  let again: Promise<void> | null = null;
  let pending: PollRequest | null = null;
  const poll = (request: PollRequest = {}): Promise<void> => {
    if (shutdown.signal.aborted) return Promise.resolve();
    if (!cycle) {
      const options = { mode: 'scheduled' as const, ...request };
      cycle = track(pollAll(app.config, app.poll, options).then(() => {}))
        .catch((err: unknown) => app.logger.error({ err }, 'poll cycle failed'))
        .finally(() => (cycle = null));
      return cycle;
    }
    pending = pending ? mergePollRequests(pending, request) : request;
    again ??= cycle.then(() => {
      const next = pending ?? {};
      again = null;
      pending = null;
      return poll(next);
    });
    return again;
  };

  /**
   * Copies left pending by a 4xx (greylisting, a relay's rate limit) or a relay that is down are
   * tried again after mail.retryPendingSeconds, doubling up to an hour, not only at the next
   * scheduled run (a day or a week later). A retry sends only what the runs still owe.
   */
  const pendingRetries = new Map<string, { timer: NodeJS.Timeout | null; delayMs: number }>();
  /** `runs`: what the last attempt left; null when it failed (the store busy or down), so what it owes is unknown. */
  const retryPending = (digest: DigestConfig, runs: RunReport[] | null) => {
    const previous = pendingRetries.get(digest.id);
    if (previous?.timer) clearTimeout(previous.timer);
    const pending = runs === null ? null : runs.reduce((sum, run) => sum + run.pending, 0);
    if (pending === 0 || shutdown.signal.aborted) return void pendingRetries.delete(digest.id);
    const first = app.config.mail.retryPendingSeconds * 1000;
    const delayMs = previous ? Math.min(Math.max(previous.delayMs * 2, first), 3_600_000) : first;
    const timer = setTimeout(() => {
      // The digest as the config now says, or none: a reload may have changed or removed it since.
      const current = app.config.digests.find((configured) => configured.id === digest.id);
      if (current) void sendDigest(current, 'resume');
      else pendingRetries.delete(digest.id);
    }, delayMs);
    timer.unref();
    pendingRetries.set(digest.id, { timer, delayMs });
    app.logger.info(
      { digestId: digest.id, pending, retryInSeconds: delayMs / 1000 },
      'digest copies still pending; trying them again later',
    );
  };
  shutdown.signal.addEventListener('abort', () => {
    for (const retry of pendingRetries.values()) if (retry.timer) clearTimeout(retry.timer);
  });

  /** Runs a digest, one run at a time per digest (a scheduled run waits for a catch-up in progress); 'resume' only finishes owed runs. */
  const sendDigest = (digest: DigestConfig, mode: 'run' | 'resume' = 'run'): Promise<void> => {
    const previous = digestQueues.get(digest.id) ?? Promise.resolve();
    const next = track(
      previous
        .catch(() => {})
        .then(async () => {
          if (shutdown.signal.aborted || !digestDeps) return;
          try {
            if (mode === 'resume') return retryPending(digest, await resumeDigest(digest, digestDeps));
            const result = await runDigest(digest, digestDeps);
            if (result.kind === 'empty') app.logger.info({ digestId: digest.id }, 'digest skipped: nothing new');
            retryPending(digest, result.runs);
          } catch (err) {
            // Failed (the store locked or down): what the runs owe is tried again later all the
            // same, where nothing else would try it before the next scheduled run.
            if (mode === 'resume') app.logger.error({ err, digestId: digest.id }, 'trying pending digest copies again failed');
            retryPending(digest, null);
            if (mode === 'run') throw err; // logged by the scheduler or the catch-up
          }
        }),
    );
    digestQueues.set(digest.id, next);
    return next;
  };

  const scheduleDigests = async (config: Config) => {
    for (const name of scheduler.names()) if (name.startsWith('digest:')) await scheduler.remove(name);
    for (const digest of config.digests) scheduler.add(`digest:${digest.id}`, digest.schedule, () => sendDigest(digest), digest.timezone);
  };

  /** Digest dependencies for the config in force; `templates` when already loaded (a reload checks them first). */
  const prepareDigests = async (templates?: Templates) => {
    if (app.config.digests.length === 0) return;
    if (!digestDeps) digestDeps = { ...(await app.digestDeps()), signal: shutdown.signal };
    else digestDeps = { ...digestDeps, config: app.config, templates: templates ?? (await loadTemplates(app.config.templates)) };
  };

  /** 'start': the file read again once the watch is on, applied only when it changed meanwhile. */
  const applyReload = async (trigger: ReloadTrigger) => {
    if (shutdown.signal.aborted) return;
    let next: Config;
    let templates: Templates | undefined;
    try {
      next = reloadConfig(app.config.path);
      // Everything that can fail is checked before anything changes: a reload applies whole or not at all.
      if (next.digests.length > 0) templates = await loadTemplates(next.templates);
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [messageOf(error)];
      app.logger.error({ trigger, path: app.config.path, problems }, `config reload failed; the running config stays. ${messageOf(error)}`);
      return;
    }
    if (shutdown.signal.aborted) return;
    if (isUnchanged(app.config, next)) {
      if (trigger === 'start') return;
      // SIGHUP also re-reads the digest templates, which the file watch does not cover.
      if (trigger === 'SIGHUP') await prepareDigests(templates);
      return void app.logger.info({ trigger, templatesReloaded: trigger === 'SIGHUP' && digestDeps !== null }, 'config unchanged');
    }
    const changes = diffConfig(app.config, next);
    await app.reconfigure(next);
    if (changes.pollScheduleChanged) {
      await scheduler.remove('poll');
      scheduler.add('poll', next.poll.schedule, () => poll());
    }
    await prepareDigests(templates);
    if (changes.digestsChanged.length > 0) await scheduleDigests(next);
    app.logger.info({ trigger, ...changes, feeds: next.feeds.length, nextPoll: scheduler.nextRun('poll') }, 'config reloaded');
    if (changes.needsRestart.length > 0) app.logger.warn({ settings: changes.needsRestart }, 'these settings apply after a restart');
    // Only what a reload made new is fetched now; the rest keep their schedule (a tag edit fetches nothing).
    if (changes.feedsToFetch.length > 0) void poll({ feedIds: new Set(changes.feedsToFetch) });
  };

  return {
    scheduler,
    busy,
    async start() {
      await prepareDigests();
      scheduler.add('poll', app.config.poll.schedule, () => poll());
      await scheduleDigests(app.config);
      // A restart fetches only the feeds that are due, not every feed again.
      void poll({ startup: true });
      if (digestDeps) catchUpDigests(app, digestDeps, sendDigest);
    },
    /** Reloads the config file; reloads run one at a time. */
    reload(trigger: ReloadTrigger): Promise<void> {
      reloading = reloading
        .then(() => applyReload(trigger))
        .catch((err: unknown) => app.logger.error({ err, trigger }, 'config reload crashed; the running config stays'));
      return reloading;
    },
    async stop() {
      shutdown.abort();
      await reloading; // a reload in progress sees the abort and changes nothing more
      await scheduler.stop();
    },
    closeMailer() {
      digestDeps?.mailer.close();
    },
  };
}

/** What a poll cycle covers: every feed (a scheduled tick), the start-up cycle, or only some feeds (a reload). */
interface PollRequest {
  startup?: boolean;
  feedIds?: ReadonlySet<string>;
}

/**
 * One request covering two: a scheduled tick covers everything; the start-up cycle covers a
 * reload's feeds (they were never fetched, so dueAtStart takes them); feed lists add up.
 */
function mergePollRequests(a: PollRequest, b: PollRequest): PollRequest {
  const scheduledTick = (request: PollRequest) => request.startup !== true && request.feedIds === undefined;
  if (scheduledTick(a) || scheduledTick(b)) return {};
  if (a.startup === true || b.startup === true) return { startup: true };
  return { feedIds: new Set([...(a.feedIds ?? []), ...(b.feedIds ?? [])]) };
}

/** Waits for everything in `busy` (including work added meanwhile), at most `ms`; true when all finished. */
async function settleWithin(busy: Set<Promise<unknown>>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    while (busy.size > 0) {
      const done = await Promise.race([Promise.allSettled([...busy]).then(() => true), timeout]);
      if (!done) return false;
    }
    return true;
  } finally {
    clearTimeout(timer);
  }
}

/** Sends, once, what a digest still owes: an interrupted run, or a scheduled run missed while down. */
function catchUpDigests(app: App, deps: DigestDeps, sendDigest: (digest: DigestConfig) => Promise<void>): void {
  for (const digest of app.config.digests) {
    void (async () => {
      const latest = await app.store.latestDigestRun(digest.id);
      const interrupted = (await app.store.unfinishedDigestRuns(digest.id)).length > 0;
      const missed = latest !== null && lastScheduledRun(digest.schedule, digest.timezone, latest.createdAt, deps.now()) !== null;
      if (!interrupted && !missed) return;
      app.logger.info({ digestId: digest.id, interrupted, missed }, 'sending the digest the service owes since it was down');
      await sendDigest(digest);
    })().catch((err: unknown) => app.logger.error({ err, digestId: digest.id }, 'digest catch-up failed'));
  }
}

/** The PostgreSQL URL when this installation runs on PostgreSQL (the config or the environment says so), else null. */
async function clusterTarget(globals: GlobalOptions): Promise<string | null> {
  const [{ storeTarget }, { loadConfig }] = await Promise.all([import('../app.ts'), import('../config/load.ts')]);
  const target = storeTarget(loadConfig(globals.configPath), globals.dataDir, process.env);
  return target.kind === 'postgres' ? target.url : null;
}
