/** `columnwire run`: the service. Serves HTTP, polls and sends digests on their schedules, until stopped. */
import type { App } from '../app.ts';
import type { DigestConfig } from '../config/schema.ts';
import { runDigest, type DigestDeps } from '../digest/run-digest.ts';
import { pollAll } from '../feeds/poll-all.ts';
import { createScheduler, lastScheduledRun } from '../scheduler.ts';
import { openApp, parseCommandArgs, type Command } from './command.ts';

const help = `Usage: columnwire run

Runs the service: the HTTP server (server.host:server.port; env HOST and PORT override),
the poller, which polls the due feeds at start and then on poll.schedule (cron), and each
digest on its schedule in its time zone. A digest run missed while the service was down,
or interrupted, is sent once at start. Stops on SIGINT or SIGTERM. Logs JSON lines on
stderr (LOG_LEVEL sets the level).

Options:
  -h, --help   show this help`;

export const runCommand: Command = {
  name: 'run',
  summary: 'run the service (HTTP server, scheduled polling and digests)',
  help,
  async run({ argv, globals, stopSignal }) {
    parseCommandArgs('run', argv, {}); // no options: rejects unknown ones
    const app = await openApp(globals, 'info');
    const scheduler = createScheduler(app.logger);
    const digestDeps = app.config.digests.length > 0 ? await app.digestDeps() : null;
    try {
      const server = await app.startServer();
      const busy = new Set<Promise<unknown>>();
      const track = (work: Promise<unknown>) => {
        busy.add(work);
        void work.finally(() => busy.delete(work)).catch(() => {});
        return work;
      };
      const poll = () => track(pollAll(app.config, app.poll, { mode: 'scheduled' }));
      scheduler.add('poll', app.config.poll.schedule, async () => void (await poll()));
      for (const digest of app.config.digests) {
        scheduler.add(`digest:${digest.id}`, digest.schedule, async () => void (await track(sendDigest(digest, digestDeps!))), digest.timezone);
      }
      app.logger.info({ url: server.url, feeds: app.config.feeds.length, digests: app.config.digests.length, schedule: app.config.poll.schedule, dataDir: app.dataDir, nextPoll: scheduler.nextRun('poll') }, 'columnwire started');
      poll().catch((err: unknown) => app.logger.error({ err }, 'first poll cycle failed'));
      if (digestDeps) catchUpDigests(app, digestDeps, track);
      await stopSignal;
      app.logger.info('stopping');
      await scheduler.stop();
      await server.close();
      await Promise.allSettled(busy);
      return 0;
    } finally {
      await scheduler.stop();
      digestDeps?.mailer.close();
      await app.close();
    }
  },
};

const digestQueues = new Map<string, Promise<void>>();

/** Runs a digest, one run at a time per digest (a scheduled run waits for a catch-up in progress). */
function sendDigest(digest: DigestConfig, deps: DigestDeps): Promise<void> {
  const previous = digestQueues.get(digest.id) ?? Promise.resolve();
  const next = previous.catch(() => {}).then(async () => {
    const result = await runDigest(digest, deps);
    if (result.kind === 'empty') deps.logger.info({ digestId: digest.id }, 'digest skipped: nothing new');
  });
  digestQueues.set(digest.id, next);
  return next;
}

/** Sends, once, what a digest still owes: an interrupted run, or a scheduled run missed while down. */
function catchUpDigests(app: App, deps: DigestDeps, track: (work: Promise<unknown>) => Promise<unknown>): void {
  for (const digest of app.config.digests) {
    void track((async () => {
      const latest = await app.store.latestDigestRun(digest.id);
      const interrupted = (await app.store.unfinishedDigestRuns(digest.id)).length > 0;
      const missed = latest !== null && lastScheduledRun(digest.schedule, digest.timezone, latest.createdAt, deps.now()) !== null;
      if (!interrupted && !missed) return;
      app.logger.info({ digestId: digest.id, interrupted, missed }, 'sending the digest the service owes since it was down');
      await sendDigest(digest, deps);
    })().catch((err: unknown) => app.logger.error({ err, digestId: digest.id }, 'digest catch-up failed')));
  }
}
