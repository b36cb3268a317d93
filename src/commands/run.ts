/** `columnwire run`: the service. Polls now, then on poll.schedule, until stopped. */
import { pollAll } from '../feeds/poll-all.ts';
import { createScheduler } from '../scheduler.ts';
import { openApp, parseCommandArgs, type Command } from './command.ts';

const help = `Usage: columnwire run

Runs the service: polls the due feeds at start, then on poll.schedule (cron) from the
config, until SIGINT or SIGTERM. Logs JSON lines on stderr (LOG_LEVEL sets the level).

Options:
  -h, --help   show this help`;

export const runCommand: Command = {
  name: 'run',
  summary: 'run the service (poll on schedule)',
  help,
  async run({ argv, globals, stdout, stopSignal }) {
    const { values } = parseCommandArgs('run', argv, {});
    if (values.help) return stdout.write(`${help}\n`), 0;
    const app = await openApp(globals, 'info');
    const scheduler = createScheduler(app.logger);
    let cycle: Promise<unknown> = Promise.resolve();
    const poll = () => (cycle = pollAll(app.config, app.poll, { mode: 'scheduled' }));
    scheduler.add('poll', app.config.poll.schedule, async () => {
      await poll();
    });
    app.logger.info({ feeds: app.config.feeds.length, schedule: app.config.poll.schedule, dataDir: app.dataDir, nextPoll: scheduler.nextRun('poll') }, 'columnwire started');
    poll().catch((err: unknown) => app.logger.error({ err }, 'first poll cycle failed'));
    await stopSignal;
    app.logger.info('stopping');
    await scheduler.stop();
    await cycle.catch(() => {});
    await app.close();
    return 0;
  },
};
