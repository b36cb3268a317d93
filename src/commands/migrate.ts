/** `columnwire migrate --to postgres://…`: moves an SQLite installation to PostgreSQL, to scale out. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { databasePath } from '../app.ts';
import { isPostgresUrl } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import { redactUrl } from '../redact.ts';
import { parseCommandArgs, type Command } from './command.ts';
import { formatTable } from './format-table.ts';

const help = `Usage: columnwire migrate --to postgres://USER:PASSWORD@HOST:5432/DB

Copies this installation's SQLite database (<data>/columnwire.db) into an empty PostgreSQL
database: feeds and their state, stories with their sources, identity keys and tombstones,
digest runs and deliveries, subscribers, unsubscribes and counters, ids kept. Each table's
rows are counted on both sides after. Safe to rerun: rows already there are left alone and
the rest copied. The unsubscribe secret (<data>/secret) goes along, so links mailed before
keep working (unless COLUMNWIRE_SECRET is set: keep setting it).

Stop "columnwire run" first. Then point every process at PostgreSQL (database: in the
config, or COLUMNWIRE_DATABASE_URL). The SQLite file is left as it was.

Options:
  --to URL     the PostgreSQL database (env COLUMNWIRE_DATABASE_URL when absent)
  -h, --help   show this help`;

export const migrateCommand: Command = {
  name: 'migrate',
  help,
  async run({ argv, globals, stdout }) {
    const { values, positionals } = parseCommandArgs('migrate', argv, { to: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`migrate: unexpected argument "${positionals[0]}"; use --to URL`);
    const url = values.to ?? process.env.COLUMNWIRE_DATABASE_URL;
    if (!url) throw new UsageError('migrate: say where to with --to postgres://USER:PASSWORD@HOST:5432/DB');
    if (!isPostgresUrl(url))
      throw new UsageError(
        `migrate: --to must be a PostgreSQL URL such as postgres://user:password@host:5432/columnwire, got "${redactUrl(url)}"`,
      );
    const source = databasePath(globals.dataDir);
    if (!existsSync(source)) throw new UsageError(`migrate: no SQLite database at ${source}; is --data the folder "columnwire run" uses?`);
    const secretFile = join(globals.dataDir, 'secret');
    const secret = existsSync(secretFile) ? readFileSync(secretFile, 'utf8').trim() : null;
    const { copyToPostgres } = await import('../storage/copy-to-postgres.ts');
    stdout.write(`copying ${source} to ${redactUrl(url)}\n`);
    const report = await copyToPostgres(source, url, { secret });
    stdout.write(
      formatTable([
        ['TABLE', 'SQLITE', 'COPIED NOW', 'POSTGRESQL'],
        ...report.map((copy) => [copy.table, String(copy.source), String(copy.copied), String(copy.target)]),
      ]),
    );
    stdout.write(
      `done: every table holds the same rows on both sides${secret ? '; the unsubscribe secret was copied' : ''}.\n` +
        'Next: set COLUMNWIRE_DATABASE_URL (or database: in the config) for every process, and start them.\n',
    );
    return 0;
  },
};
