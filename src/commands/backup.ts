/** `columnwire backup <file>`: a consistent copy of the SQLite database, safe while the service runs. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { databasePath } from '../app.ts';
import { UsageError } from '../errors.ts';
import { parseCommandArgs, withApp, type Command } from './command.ts';

const help = `Usage: columnwire backup <file> [--force]

Copies the database (<data>/columnwire.db) to <file> with SQLite's online backup: the copy
is consistent even while "columnwire run" is writing. Restore by stopping the service and
putting the copy in place of columnwire.db (delete columnwire.db-wal and -shm beside it).

Options:
  --force      overwrite <file> if it exists
  -h, --help   show this help`;

export const backupCommand: Command = {
  name: 'backup',
  help,
  async run({ argv, globals, stdout }) {
    const { values, positionals } = parseCommandArgs('backup', argv, { force: { type: 'boolean' } });
    if (positionals.length !== 1)
      throw new UsageError('backup: give the file to write, e.g. "columnwire backup backups/columnwire-2026-11-27.db"');
    const destination = resolve(positionals[0]!);
    if (destination === resolve(databasePath(globals.dataDir)) || sameFile(destination, databasePath(globals.dataDir)))
      throw new UsageError('backup: the destination is the database itself; choose another file');
    if (existsSync(destination) && !values.force) throw new UsageError(`backup: ${positionals[0]} exists; pass --force to overwrite it`);
    // SQLite cannot write a database into /dev/null or a FIFO (an I/O error, a -journal file left beside it).
    if (existsSync(destination) && !statSync(destination).isFile())
      throw new UsageError(`backup: ${positionals[0]} is not a regular file (a device or a pipe); give the path of a file to write`);
    return withApp(
      globals,
      async (app) => {
        await app.store.backup(destination);
        stdout.write(
          `backed up ${databasePath(globals.dataDir)} to ${destination} (${(statSync(destination).size / 1024).toFixed(0)} KiB)\n`,
        );
        return 0;
      },
      'read-only',
    );
  },
};

/** True when both paths name one existing file, whatever the links on the way (a symlink, a hard link). */
function sameFile(a: string, b: string): boolean {
  try {
    const [first, second] = [statSync(a), statSync(b)];
    return first.dev === second.dev && first.ino === second.ino;
  } catch {
    return false;
  }
}
