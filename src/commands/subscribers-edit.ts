/** `subscribers add|remove|import|export`: the subscribers kept as data, one at a time or as CSV. */
import { createReadStream, statSync } from 'node:fs';
import { addressHint, normalizeName, parseMailbox } from '../config/parse-mailbox.ts';
import type { DigestConfig } from '../config/schema.ts';
import type { DecodeFailure } from '../digest/decode-csv.ts';
import { exportSubscriberCsv } from '../digest/export-subscribers.ts';
import { checkCsvText, importSubscriberCsv, type ImportOutcome } from '../digest/import-subscribers.ts';
import { UsageError } from '../errors.ts';
import { writeFileAtomicFrom } from '../write-file-atomic.ts';
import { parseCommandArgs, withApp, type CommandContext } from './command.ts';
import { selectDigests } from './select-digests.ts';
import { writeChunks } from './write-chunks.ts';

/** Subscribers written per transaction by import: a million-line file never holds the database for long. */
const IMPORT_BATCH = 5_000;
/** Problems printed by import; the rest are counted. */
const SHOWN_PROBLEMS = 50;

/** The one digest a subcommand acts on: --digest, or the only digest there is. */
function oneDigest(subcommand: string, digests: readonly DigestConfig[], id: string | undefined, configPath: string): DigestConfig {
  const chosen = selectDigests(`subscribers ${subcommand}`, digests, id, configPath);
  if (chosen.length > 1)
    throw new UsageError(
      `subscribers ${subcommand}: ${configPath} has ${chosen.length} digests; say which with --digest ID (${chosen.map((digest) => digest.id).join(', ')})`,
    );
  return chosen[0]!;
}

function onePositional(subcommand: string, positionals: string[], what: string): string {
  if (positionals.length !== 1)
    throw new UsageError(
      `subscribers ${subcommand}: give one ${what}${positionals.length > 1 ? `, not ${positionals.length}` : ''}; see "columnwire subscribers --help"`,
    );
  return positionals[0]!;
}

/**
 * The address an operator names, written as `add` takes it (`Jane Doe <jane@example.org>` too),
 * lower-cased; as given when it is no valid address, so a row kept before addresses were checked
 * can still be named.
 */
export function addressOf(given: string): string {
  return (parseMailbox(given)?.address ?? given.trim()).toLowerCase();
}

/** `subscribers add ADDRESS [--name NAME] [--digest ID]`. */
export async function runSubscribersAdd({ argv, globals, stdout }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('subscribers add', argv, { digest: { type: 'string' }, name: { type: 'string' } });
  const given = onePositional('add', positionals, 'address');
  const mailbox = parseMailbox(given);
  if (!mailbox)
    throw new UsageError(
      `subscribers add: not an email address: ${JSON.stringify(given)}${addressHint(given)}; write reader@example.com or "Jane Doe <jane@example.com>"`,
    );
  // The one rule for names (parse-mailbox.ts), as on the sign-up form and in import.
  // No name given (neither --name nor "Name <address>"): a known address keeps its own; --name '' clears it.
  const name = values.name !== undefined ? normalizeName(values.name) : mailbox.name === null ? undefined : normalizeName(mailbox.name);
  return withApp(globals, async (app) => {
    const digest = oneDigest('add', app.config.digests, values.digest, app.config.path);
    const counts = await app.store.addSubscribers(
      digest.id,
      [name === undefined ? { address: mailbox.address } : { address: mailbox.address, name }],
      new Date(),
    );
    const what = counts.added > 0 ? 'subscribed' : counts.renamed > 0 ? 'renamed' : 'already subscribed';
    stdout.write(`${mailbox.address.toLowerCase()}: ${what} to ${digest.id}\n`);
    const standing = await app.store.subscriptionState(mailbox.address, digest.id);
    if (standing?.state === 'unsubscribed')
      stdout.write(
        `note: it unsubscribed on ${standing.since.toISOString()} and gets nothing until "columnwire digest --resubscribe ${mailbox.address} --id ${digest.id}"\n`,
      );
    return 0;
  });
}

/** `subscribers remove ADDRESS [--digest ID]`. */
export async function runSubscribersRemove({ argv, globals, stdout }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('subscribers remove', argv, { digest: { type: 'string' } });
  const address = addressOf(onePositional('remove', positionals, 'address'));
  return withApp(globals, async (app) => {
    const digestId =
      values.digest === undefined ? null : selectDigests('subscribers remove', app.config.digests, values.digest, app.config.path)[0]!.id;
    const removed = await app.store.removeSubscriber(address, digestId);
    const listedIn = app.config.digests.filter(
      (digest) => (digestId === null || digest.id === digestId) && digest.to.some((to) => to.toLowerCase() === address),
    );
    const where = digestId ?? `${removed} digest${removed === 1 ? '' : 's'}`;
    stdout.write(
      removed > 0 ? `${address}: removed from ${where}\n` : `${address}: not a subscriber${digestId ? ` of ${digestId}` : ''}\n`,
    );
    if (listedIn.length > 0)
      stdout.write(
        `note: still on the to: list of ${listedIn.map((digest) => digest.id).join(', ')} in ${app.config.path}; remove it there\n`,
      );
    return removed > 0 || listedIn.length > 0 ? 0 : 1;
  });
}

/** `subscribers import FILE.csv [--digest ID] [--encoding LABEL]`. */
export async function runSubscribersImport({ argv, globals, stdout, stderr, stopSignal }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('subscribers import', argv, {
    digest: { type: 'string' },
    encoding: { type: 'string' },
  });
  const given = onePositional('import', positionals, 'CSV file');
  // "-" is stdin, as for `subscribers bounce`, read once as a pipe is (it may be a socket, which /dev/stdin cannot open).
  const stdin = given === '-';
  const file = stdin ? 'stdin' : given;
  const open = () => (stdin ? process.stdin : createReadStream(given));
  const cannotRead = (cause: unknown) => new UsageError(`subscribers import: cannot read ${file}: ${(cause as Error).message}`, { cause });
  let regular: boolean;
  try {
    regular = !stdin && statSync(given).isFile();
  } catch (cause) {
    throw cannotRead(cause);
  }
  // A file is read twice: first to check it is text of its encoding, so that one that is not
  // imports nothing; then to import it. A pipe (/dev/stdin) can be read only once.
  if (regular) {
    let failure: DecodeFailure | null;
    try {
      failure = await checkCsvText(open(), values.encoding);
    } catch (cause) {
      throw cannotRead(cause);
    }
    if (failure !== null) throw notText(file, failure);
  }
  return withApp(globals, async (app) => {
    const digest = oneDigest('import', app.config.digests, values.digest, app.config.path);
    const at = new Date();
    let shown = 0;
    // Ctrl-C stops the import between two batches (each is one transaction): a rerun finishes it.
    let stopping = false;
    void stopSignal.then(() => (stopping = true));
    const outcome = await importSubscriberCsv(open(), {
      ...(values.encoding === undefined ? {} : { encoding: values.encoding }),
      batchSize: IMPORT_BATCH,
      write: (batch) => app.store.addSubscribers(digest.id, batch, at),
      stopRequested: () => stopping,
      onProblem: (problem) => {
        shown++;
        if (shown <= SHOWN_PROBLEMS) stderr.write(`${file}:${problem.line}: ${problem.reason}\n`);
      },
    });
    const { totals } = outcome;
    if (totals.problems > SHOWN_PROBLEMS) stderr.write(`... and ${totals.problems - SHOWN_PROBLEMS} more lines left out\n`);
    if (outcome.kind !== 'done') throw stoppedError(file, outcome);
    stdout.write(
      `imported ${file} into ${digest.id}: ${totals.added} added, ${totals.renamed} renamed, ${totals.unchanged} unchanged` +
        `${totals.problems > 0 ? `; ${totals.problems} line${totals.problems === 1 ? '' : 's'} left out (listed above)` : ''}\n`,
    );
    return totals.problems > 0 ? 1 : 0;
  });
}

function notText(file: string, failure: DecodeFailure, after = ''): UsageError {
  return new UsageError(`subscribers import: ${file}${failure.line === null ? '' : `:${failure.line}`}: ${failure.reason}${after}`);
}

/**
 * Why an import stopped part-way, and what is in: batches written are committed (one
 * transaction each), and a rerun keeps them as unchanged, so it finishes the import.
 */
function stoppedError(file: string, outcome: Exclude<ImportOutcome, { kind: 'done' }>): Error {
  const { imported, lastLine } = outcome.totals;
  const before = imported === 0 ? 'nothing was imported' : `the ${imported} subscribers up to line ${lastLine} are imported`;
  switch (outcome.kind) {
    case 'not-text':
      return notText(file, outcome.failure, imported === 0 ? '' : `; stopped there: ${before}`);
    case 'read-failed': {
      const reason = (outcome.cause as Error).message;
      return imported === 0
        ? new UsageError(`subscribers import: cannot read ${file}: ${reason}`, { cause: outcome.cause })
        : new Error(`subscribers import: cannot read ${file} to its end: ${reason}; ${before}; run the same import again`, {
            cause: outcome.cause,
          });
    }
    case 'interrupted':
      return new Error(
        `subscribers import: stopped at ${file}:${outcome.line} as asked: ` +
          `${imported === 0 ? 'nothing was imported' : `the lines before it are imported (${imported} subscribers)`}, this line and the rest are not. Run the same import again to finish it`,
      );
    case 'store-failed':
      return new Error(
        `subscribers import: ${file}:${outcome.line}: stopped at this line's batch of ${IMPORT_BATCH}: ${(outcome.cause as Error).message}; ` +
          `${imported === 0 ? 'nothing was imported' : `the lines before it are imported (${imported} subscribers)`}, this line and the rest are not. Run the same import again once the database is fixed`,
        { cause: outcome.cause },
      );
  }
}

/** `subscribers export [--digest ID] [--output FILE]`. */
export async function runSubscribersExport({ argv, globals, stdout }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('subscribers export', argv, { digest: { type: 'string' }, output: { type: 'string' } });
  if (positionals.length > 0)
    throw new UsageError(`subscribers export: unexpected argument "${positionals[0]}"; use --output FILE to write a file`);
  return withApp(
    globals,
    async (app) => {
      const digest = oneDigest('export', app.config.digests, values.digest, app.config.path);
      // Written a page at a time, at the pace of the reader; a reader that stops early (| head) is no failure.
      const csv = exportSubscriberCsv(app.store, digest.id);
      if (values.output === undefined) await writeChunks(stdout, csv);
      else await writeFileAtomicFrom(values.output, csv);
      return 0;
    },
    'read-only',
  );
}
