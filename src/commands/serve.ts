/** `columnwire serve`: the HTTP server alone (poll elsewhere, e.g. `columnwire poll` from cron). */
import { openApp, parseCommandArgs, type Command } from './command.ts';

const help = `Usage: columnwire serve

Serves the merged feeds, OPML and home page over HTTP without polling, on server.host
and server.port from the config (env HOST and PORT override them), until SIGINT or
SIGTERM. Stories stored by another process (columnwire poll) show up as they land.

Options:
  -h, --help   show this help`;

export const serveCommand: Command = {
  name: 'serve',
  help,
  async run({ argv, globals, stopSignal }) {
    parseCommandArgs('serve', argv, {}); // no options: rejects unknown ones
    const app = await openApp(globals, 'info');
    try {
      const server = await app.startServer();
      app.logger.info({ url: server.url }, 'http server listening');
      await stopSignal;
      await server.close(app.config.shutdownGraceSeconds * 1000);
      return 0;
    } finally {
      await app.close();
    }
  },
};
