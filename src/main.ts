/** argv → command → exit code (0 ok, 1 failed, 2 usage or config). No logic beyond dispatch. */
import { readFileSync } from 'node:fs';
import type { Command, CommandContext, GlobalOptions } from './commands/command.ts';
import { backupCommand } from './commands/backup.ts';
import { checkCommand } from './commands/check.ts';
import { digestCommand } from './commands/digest.ts';
import { exportCommand } from './commands/export.ts';
import { feedsCommand } from './commands/feeds.ts';
import { healthcheckCommand } from './commands/healthcheck.ts';
import { opmlCommand } from './commands/opml.ts';
import { parseCommand } from './commands/parse.ts';
import { pollCommand } from './commands/poll.ts';
import { runCommand } from './commands/run.ts';
import { serveCommand } from './commands/serve.ts';
import { statsCommand } from './commands/stats.ts';
import { ConfigError } from './config/load.ts';
import { messageOf, UsageError } from './errors.ts';
import { UnknownFeedError } from './feeds/poll-all.ts';

const COMMANDS: readonly Command[] = [runCommand, serveCommand, pollCommand, feedsCommand, checkCommand, opmlCommand, exportCommand, digestCommand, parseCommand, statsCommand, backupCommand, healthcheckCommand];
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

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
    if (name === '--version' || name === '-v') return io.stdout.write(`${VERSION}\n`), 0;
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (!command) throw new UsageError(`unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    // Every command answers --help the same way, before it loads a config or opens a database.
    if (commandArgv.includes('--help') || commandArgv.includes('-h')) return io.stdout.write(`${command.help}\n`), 0;
    return await command.run({ ...io, argv: commandArgv, globals });
  } catch (error) {
    const usage = error instanceof UsageError || error instanceof ConfigError || error instanceof UnknownFeedError;
    io.stderr.write(`columnwire: ${messageOf(error)}\n`);
    return usage ? 2 : 1;
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
