/** `columnwire run`: the service. Serves HTTP, polls now and then on poll.schedule, until stopped. */
import { pollAll } from '../feeds/poll-all.ts';
import { createScheduler } from '../scheduler.ts';
import { openApp, parseCommandArgs, type Command } from './command.ts';

const help = `Usage: columnwire run

Runs the service: the HTTP server (server.host:server.port; env HOST and PORT override)
and the poller, which polls the due feeds at start, then on poll.schedule (cron), until
SIGINT or SIGTERM. Logs JSON lines on stderr (LOG_LEVEL sets the level).

Options:
  -h, --help   show this help`;

export const runCommand: Command = {
  name: 'run',
  summary: 'run the service (HTTP server and scheduled polling)',
  help,
  async run({ argv, globals, stdout, stopSignal }) {
    const { values } = parseCommandArgs('run', argv, {});
    if (values.help) return stdout.write(`${help}\n`), 0;
    const app = await openApp(globals, 'info');
    const scheduler = createScheduler(app.logger);
    try {
      const server = await app.startServer();
      let cycle: Promise<unknown> = Promise.resolve();
      const poll = () => (cycle = pollAll(app.config, app.poll, { mode: 'scheduled' }));
      scheduler.add('poll', app.config.poll.schedule, async () => {
        await poll();
      });
      app.logger.info({ url: server.url, feeds: app.config.feeds.length, schedule: app.config.poll.schedule, dataDir: app.dataDir, nextPoll: scheduler.nextRun('poll') }, 'columnwire started');
      poll().catch((err: unknown) => app.logger.error({ err }, 'first poll cycle failed'));
      await stopSignal;
      app.logger.info('stopping');
      await scheduler.stop();
      await server.close();
      await cycle.catch(() => {});
      return 0;
    } finally {
      await scheduler.stop();
      await app.close();
    }
  },
};
