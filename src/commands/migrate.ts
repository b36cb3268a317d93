/** `columnwire migrate --to postgres://…`: moves an SQLite installation to PostgreSQL, to scale out. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { databasePath } from '../app.ts';
import { isPostgresUrl } from '../config/schema.ts';
import { UsageError } from '../errors.ts';
import { redactUrl } from '../redact.ts';
import { parseCommandArgs, type Command } from './command.ts';
import { formatTable } from './format-table.ts';
import type { CopyReport } from '../storage/copy-to-postgres.ts';
import { DataFolderLockedError, lockDataFolder, type DataLock } from '../storage/data-lock.ts';

const help = `Usage: columnwire migrate --to postgres://USER:PASSWORD@HOST:5432/DB

Copies this installation's SQLite database (<data>/columnwire.db) into a PostgreSQL database:
feeds and their state, stories with their sources, identity keys and tombstones, digest runs
and deliveries, subscribers, unsubscribes and counters, ids kept. SQLite is read from one
snapshot and PostgreSQL written in one transaction: it ends with the whole copy, or as it was.
Each table's rows are counted on both sides.

The target must be empty (what a command run there before made aside: the secret, counters,
feeds never fetched) or hold an earlier copy of this installation that nothing has written to
since: that copy is replaced, so a rerun carries over what changed in SQLite meanwhile
(added, changed and removed rows are counted). Anything else is refused before a row is
written. The unsubscribe secret (<data>/secret) goes along, replacing one PostgreSQL made, so
links mailed before keep working (unless COLUMNWIRE_SECRET is set: keep setting it).

Stop "columnwire run" first (migrate refuses while it runs). Then point every process at
PostgreSQL (database: in the config, or COLUMNWIRE_DATABASE_URL). The SQLite file is left as
it was, but for this installation's id, which migrate notes in it once.

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
    // The service's own lock: what it writes after the snapshot would be left behind.
    const lock = lockService(globals.dataDir);
    try {
      const secretFile = join(globals.dataDir, 'secret');
      const secret = existsSync(secretFile) ? readFileSync(secretFile, 'utf8').trim() || null : null;
      const { copyToPostgres } = await import('../storage/copy-to-postgres.ts');
      stdout.write(`copying ${source} to ${redactUrl(url)}\n`);
      const report = await copyToPostgres(source, url, { secret });
      stdout.write(formatReport(report, Boolean(process.env.COLUMNWIRE_SECRET)));
      return 0;
    } finally {
      lock.release();
    }
  },
};

/** Takes the data folder's service lock, or says to stop the service. */
function lockService(dataDir: string): DataLock {
  try {
    return lockDataFolder(dataDir, 'run', 'migrate');
  } catch (error) {
    if (!(error instanceof DataFolderLockedError)) throw error;
    const what =
      error.holder === 'migrate'
        ? 'wait for it to finish (a second copy would add nothing)'
        : 'stop the service first, then migrate (what it wrote after the copy would be left behind in SQLite)';
    throw new DataFolderLockedError(
      `migrate: columnwire ${error.holder} (pid ${error.holderPid}) is using ${dataDir}; ${what}`,
      error.holderPid,
      error.holder,
    );
  }
}

/** The per-table counts, the values changed for PostgreSQL, and what happened to the secret. */
function formatReport(report: CopyReport, secretFromEnv: boolean): string {
  const lines = [
    formatTable([
      ['TABLE', 'SQLITE', 'POSTGRESQL', 'ADDED', 'CHANGED', 'REMOVED'],
      ...report.tables.map((copy) => [copy.table, copy.source, copy.target, copy.added, copy.changed, copy.removed].map(String)),
    ]).trimEnd(),
  ];
  if (report.changedValues.length > 0) {
    lines.push(
      `${report.changedValues.length} row${report.changedValues.length === 1 ? '' : 's'} held NUL characters, which PostgreSQL text cannot hold ` +
        '(dropped from text, each replaced by U+FFFD in keys):',
      ...report.changedValues
        .slice(0, MAX_LISTED)
        .map(({ row, changes }) => `  ${row}: ${changes.map((change) => `${change.column} ${change.count} ${change.action}`).join(', ')}`),
      ...(report.changedValues.length > MAX_LISTED ? [`  and ${report.changedValues.length - MAX_LISTED} more`] : []),
    );
  }
  const sum = (field: 'added' | 'changed' | 'removed') => report.tables.reduce((total, copy) => total + copy[field], 0);
  lines.push(
    `done: PostgreSQL holds the same rows as SQLite in every table, ${
      report.earlierCopyAt
        ? `replacing the copy of ${report.earlierCopyAt.toISOString()}: ${sum('added')} rows added, ${sum('changed')} changed, ${sum('removed')} removed`
        : 'copied into an empty database'
    }; ${SECRET_OUTCOME[report.secret]}.`,
  );
  if (secretFromEnv)
    lines.push('COLUMNWIRE_SECRET is set: it signs links in place of the copied secret; keep setting it, the same, for every process.');
  lines.push('Next: set COLUMNWIRE_DATABASE_URL (or database: in the config) for every process, and start them.');
  return `${lines.join('\n')}\n`;
}

const MAX_LISTED = 20;
const SECRET_OUTCOME: Record<CopyReport['secret'], string> = {
  copied: 'the unsubscribe secret (<data>/secret) was copied',
  replaced: 'the unsubscribe secret (<data>/secret) replaced the one PostgreSQL held (made by a command run there before the copy)',
  kept: 'the unsubscribe secret (<data>/secret) was there already',
  none: 'there is no <data>/secret to copy: links were signed with COLUMNWIRE_SECRET, keep setting it for every process',
};
