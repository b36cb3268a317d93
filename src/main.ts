/** argv → command → exit code (0 ok, 1 failed, 2 usage or config). No logic beyond dispatch. */
import { readFileSync } from 'node:fs';
import type { Command, CommandContext, GlobalOptions } from './commands/command.ts';
import { exitCodeOf, messageOf, UsageError } from './errors.ts';
import { packageFile } from './support/package-files.ts';

/** A command as the dispatcher knows it: loaded only when run, so `columnwire healthcheck` stays light. */
interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'run',
    summary: 'run the service (HTTP server, scheduled polling and digests)',
    load: async () => (await import('./commands/run.ts')).runCommand,
  },
  { name: 'serve', summary: 'run the HTTP server only', load: async () => (await import('./commands/serve.ts')).serveCommand },
  { name: 'poll', summary: 'poll the feeds now', load: async () => (await import('./commands/poll.ts')).pollCommand },
  {
    name: 'feeds',
    summary: 'list the feeds and their state; add, remove or tag feeds',
    load: async () => (await import('./commands/feeds.ts')).feedsCommand,
  },
  {
    name: 'check',
    summary: 'validate the config and try every feed once',
    load: async () => (await import('./commands/check.ts')).checkCommand,
  },
  {
    name: 'opml',
    summary: 'import feeds from an OPML file, or export them as OPML',
    load: async () => (await import('./commands/opml.ts')).opmlCommand,
  },
  { name: 'export', summary: 'write the merged feed to stdout', load: async () => (await import('./commands/export.ts')).exportCommand },
  {
    name: 'digest',
    summary: 'send, preview or report on the email digests',
    load: async () => (await import('./commands/digest.ts')).digestCommand,
  },
  {
    name: 'subscribers',
    summary: 'list who gets each digest, who unsubscribed and when',
    load: async () => (await import('./commands/subscribers.ts')).subscribersCommand,
  },
  {
    name: 'parse',
    summary: 'print one feed (file or URL), normalized',
    load: async () => (await import('./commands/parse.ts')).parseCommand,
  },
  {
    name: 'stats',
    summary: 'print fetch, story, feed-error and digest figures',
    load: async () => (await import('./commands/stats.ts')).statsCommand,
  },
  {
    name: 'backup',
    summary: 'copy the database safely, even while the service runs',
    load: async () => (await import('./commands/backup.ts')).backupCommand,
  },
  {
    name: 'migrate',
    summary: 'copy this SQLite installation into a PostgreSQL database',
    load: async () => (await import('./commands/migrate.ts')).migrateCommand,
  },
  {
    name: 'healthcheck',
    summary: 'exit 0 when the running service answers /healthz (or /readyz)',
    load: async () => (await import('./commands/healthcheck.ts')).healthcheckCommand,
  },
];
const VERSION = (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;

const help = `Usage: columnwire [--config FILE] [--data DIR] <command> [options]

Columnwire polls the columnist feeds listed in feeds.yaml, stores their stories once
each in SQLite, republishes them as one merged feed over HTTP, and mails digests.

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(12)} ${command.summary}`).join('\n')}

Global options:
  -c, --config FILE   config file (default ./feeds.yaml, env COLUMNWIRE_CONFIG)
  -d, --data DIR      data directory for the SQLite file (default ./data, env COLUMNWIRE_DATA)
  -h, --help          show help; "columnwire <command> --help" for a command
  -v, --version       print the version`;

type Io = Pick<CommandContext, 'stdout' | 'stderr' | 'stopSignal'>;

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const { globals, rest } = takeGlobalOptions(argv, env);
    const [name, ...commandArgv] = rest;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(`${help}\n`);
      return name === undefined ? 2 : 0;
    }
    if (name === '--version' || name === '-v') return (io.stdout.write(`${VERSION}\n`), 0);
    const entry = COMMANDS.find((candidate) => candidate.name === name);
    if (!entry) throw new UsageError(`unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    // Every command answers --help the same way, before it loads a config or opens a database.
    const command = await entry.load();
    if (commandArgv.includes('--help') || commandArgv.includes('-h')) return (io.stdout.write(`${command.help}\n`), 0);
    return await command.run({ ...io, argv: commandArgv, globals });
  } catch (error) {
    io.stderr.write(`columnwire: ${messageOf(error)}\n`);
    return exitCodeOf(error);
  }
}

/** Pulls --config and --data out of argv wherever they stand. */
function takeGlobalOptions(argv: string[], env: NodeJS.ProcessEnv): { globals: GlobalOptions; rest: string[] } {
  const globals: GlobalOptions = {
    configPath: env.COLUMNWIRE_CONFIG || './feeds.yaml',
    dataDir: env.COLUMNWIRE_DATA || './data',
  };
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const match = /^(--config|-c|--data|-d)(?:=(.*))?$/.exec(arg);
    if (!match) {
      rest.push(arg);
      continue;
    }
    const value = match[2] ?? argv[++index];
    if (value === undefined || value === '') throw new UsageError(`${match[1]} needs a value`);
    if (match[1] === '--config' || match[1] === '-c') globals.configPath = value;
    else globals.dataDir = value;
  }
  return { globals, rest };
}
