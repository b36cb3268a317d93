/** `subscribers add|remove|import|export`: the subscribers kept as data, one at a time or as CSV. */
import { readFileSync, statSync } from 'node:fs';
import { addressHint, normalizeName, parseMailbox } from '../config/parse-mailbox.ts';
import type { DigestConfig } from '../config/schema.ts';
import { decodeSubscriberCsv } from '../digest/decode-csv.ts';
import { exportSubscriberCsv } from '../digest/export-subscribers.ts';
import { parseSubscriberCsv } from '../digest/subscriber-csv.ts';
import { UsageError } from '../errors.ts';
import { writeFileAtomicFrom } from '../write-file-atomic.ts';
import { parseCommandArgs, withApp, type CommandContext } from './command.ts';
import { selectDigests } from './select-digests.ts';
import { writeChunks } from './write-chunks.ts';

/** Subscribers written per transaction by import: a million-line file never holds the database for long. */
const IMPORT_BATCH = 5_000;
/** Problems printed by import; the rest are counted. */
const SHOWN_PROBLEMS = 50;
/** A CSV file read whole: 256 MiB holds several million lines. */
const MAX_CSV_BYTES = 256 * 1024 * 1024;

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
  const name = normalizeName(values.name ?? '') ?? (mailbox.name === null ? null : normalizeName(mailbox.name));
  return withApp(globals, async (app) => {
    const digest = oneDigest('add', app.config.digests, values.digest, app.config.path);
    const counts = await app.store.addSubscribers(digest.id, [{ address: mailbox.address, name }], new Date());
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
export async function runSubscribersImport({ argv, globals, stdout, stderr }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('subscribers import', argv, {
    digest: { type: 'string' },
    encoding: { type: 'string' },
  });
  const file = onePositional('import', positionals, 'CSV file');
  let bytes: Buffer;
  try {
    if (statSync(file).size > MAX_CSV_BYTES) throw new Error(`larger than ${MAX_CSV_BYTES / 1024 / 1024} MiB; split it`);
    bytes = readFileSync(file);
  } catch (cause) {
    throw new UsageError(`subscribers import: cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  const decoded = decodeSubscriberCsv(bytes, values.encoding);
  if (decoded.kind === 'failed')
    throw new UsageError(`subscribers import: ${file}${decoded.line === null ? '' : `:${decoded.line}`}: ${decoded.reason}`);
  const { subscribers, problems } = parseSubscriberCsv(decoded.text);
  return withApp(globals, async (app) => {
    const digest = oneDigest('import', app.config.digests, values.digest, app.config.path);
    const totals = { added: 0, renamed: 0, unchanged: 0 };
    const at = new Date();
    for (const problem of problems.slice(0, SHOWN_PROBLEMS)) stderr.write(`${file}:${problem.line}: ${problem.reason}\n`);
    if (problems.length > SHOWN_PROBLEMS) stderr.write(`... and ${problems.length - SHOWN_PROBLEMS} more lines left out\n`);
    for (let start = 0; start < subscribers.length; start += IMPORT_BATCH) {
      const batch = subscribers.slice(start, start + IMPORT_BATCH);
      try {
        const counts = await app.store.addSubscribers(digest.id, batch, at);
        totals.added += counts.added;
        totals.renamed += counts.renamed;
        totals.unchanged += counts.unchanged;
      } catch (cause) {
        // Earlier batches are committed (one transaction each): say where the file stopped, so a
        // rerun (which keeps what is there as unchanged) finishes it.
        const imported = start === 0 ? 'nothing was imported' : `the lines before it are imported (${start} subscribers)`;
        throw new Error(
          `subscribers import: ${file}:${batch[0]!.line}: stopped at this line's batch of ${IMPORT_BATCH}: ${(cause as Error).message}; ` +
            `${imported}, this line and the rest are not. Run the same import again once the database is fixed`,
          { cause },
        );
      }
    }
    stdout.write(
      `imported ${file} into ${digest.id}: ${totals.added} added, ${totals.renamed} renamed, ${totals.unchanged} unchanged` +
        `${problems.length > 0 ? `; ${problems.length} line${problems.length === 1 ? '' : 's'} left out (listed above)` : ''}\n`,
    );
    return problems.length > 0 ? 1 : 0;
  });
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
