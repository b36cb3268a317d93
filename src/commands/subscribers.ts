/**
 * `columnwire subscribers [list|add|remove|import|export]`: who gets each digest (the to: lists
 * of feeds.yaml and the subscribers kept as data), who unsubscribed and when; and the
 * subscribers themselves, added one by one or from CSV (`email,name`).
 */
import { createReadStream } from 'node:fs';
import { listSubscribers, type SubscriberRow } from '../digest/list-subscribers.ts';
import { readBounce } from '../digest/read-bounce.ts';
import { isStoreBusy, isStoreTransient, type Signup } from '../storage/store.ts';
import { csvField } from '../digest/subscriber-csv.ts';
import { SIGNUP_LINK_HOURS } from '../unsubscribe-token.ts';
import { ConfigError } from '../config/load.ts';
import { addressSpellings } from '../config/parse-mailbox.ts';
import { UsageError } from '../errors.ts';
import { parseCommandArgs, withApp, type CommandContext, type Command } from './command.ts';
import { escapeControls, formatTable } from './format-table.ts';
import { selectDigests } from './select-digests.ts';
import { writeChunks } from './write-chunks.ts';
import { addressOf, runSubscribersAdd, runSubscribersExport, runSubscribersImport, runSubscribersRemove } from './subscribers-edit.ts';

const help = `Usage: columnwire subscribers [list] [--digest ID] [--pending|--unsubscribed|--bouncing] [--json|--csv]
       columnwire subscribers add ADDRESS [--name NAME] [--digest ID]
       columnwire subscribers remove ADDRESS [--digest ID]
       columnwire subscribers import FILE.csv|- [--digest ID] [--encoding LABEL]
       columnwire subscribers export [--digest ID] [--output FILE]
       columnwire subscribers clear-bounce ADDRESS
       columnwire subscribers bounce [FILE|-]

A digest goes to the addresses of its to: list in feeds.yaml and to its subscribers kept
in the database (for lists too long for the config: any number, imported from CSV). Both
keep their unsubscribe state per digest: an unsubscribed address gets nothing, whichever
list it is on. "columnwire digest --resubscribe ADDR [--id ID]" undoes an unsubscribe.

Subcommands:
  list      every recipient with where it comes from (config or subscriber) and its
            standing: subscribed, or unsubscribed and since when, from that digest or all
            (the default subcommand)
  add       subscribes ADDRESS (or "Name <address>") to the digest; again renames it
  remove    removes ADDRESS (or "Name <address>") from the digest's subscribers (every
            digest's without --digest);
            an address on a to: list stays there: edit feeds.yaml, or let it unsubscribe
  import    subscribes every line of a CSV file, "email,name" (quotes as in RFC 4180). A
            header row is optional; with one, columns are found by name ("Email", "E-mail
            Address"; "Name", or "First Name" and "Last Name" joined, as Mailchimp exports)
            and others are ignored. Lines that are not addresses are listed with their line
            numbers and left out; the rest are imported. Exit 1 when any line was left out.
            The file is read as it is imported, 5,000 subscribers per transaction, in the
            same memory whatever its size; it is read through once before, so a file that
            is not text of its encoding imports nothing (FILE may be a pipe such as
            /dev/stdin, or "-" for stdin: read once, it stops at such a line, the lines
            before it imported)
  export    the digest's subscribers who get it now, as CSV "email,name", to stdout or FILE,
            read and written 5,000 at a time (a slow reader slows it down; nothing piles
            up in memory); FILE is replaced only once it is complete
  clear-bounce
            sends to ADDRESS again after it was marked bouncing (mail.bounceThreshold
            refusals of its mailbox as gone in a row), once its mailbox is fixed
  bounce    reads a bounce, a delivery status notification (RFC 3464; RFC 6533's UTF-8
            one; or qmail's plain-text bounce) that a mail server sent back after
            accepting a digest, from FILE or stdin (pipe your bounce
            address to it from the MTA, or save the message). Each recipient that failed
            for good with a mailbox status (5.1.x, 5.2.1, "user unknown") counts as a
            report towards mail.bounceThreshold (a relay accepting later copies does not
            reset those reports). Only a report returning the Message-ID of a copy sent to
            that address counts, once per copy. Exit 0 (also for a message that is no
            report, so the MTA does not bounce it back), 75 when the database is busy (the
            MTA tries again later)

Options:
  --digest ID     the digest (needed with several digests, except for list and remove)
  --name NAME     the display name for the To header (add)
  --pending       list: signups from the site waiting for their confirmation link to be
                  followed (it works for 48 hours), with when they were asked; those whose
                  link expired are counted on stderr, not listed
  --unsubscribed  list: only the addresses unsubscribed (from that digest or all)
  --bouncing      list: addresses whose mailbox was refused as gone (5.1.1, "user unknown"),
                  with the count and the last error; BOUNCING since when nothing is sent to them
  --json          list: a JSON array of {address, digest, source, name, state, since, scope}
  --csv           list: the same rows as CSV with a header row
  --encoding LABEL
                  import: the file's encoding when it is not UTF-8 (windows-1252 for Excel's
                  "CSV (Comma delimited)"); UTF-8 and UTF-16 with a byte-order mark are read
                  without it, and a file that is not UTF-8 is refused, naming its first bad line
  --output FILE   export: write FILE instead of stdout
  -h, --help      show this help`;

const SUBCOMMANDS: Record<string, (context: CommandContext) => Promise<number>> = {
  list: runSubscribersList,
  add: runSubscribersAdd,
  remove: runSubscribersRemove,
  import: runSubscribersImport,
  export: runSubscribersExport,
  'clear-bounce': runClearBounce,
  bounce: runReadBounce,
};

export const subscribersCommand: Command = {
  name: 'subscribers',
  help,
  async run(context) {
    const [first, ...rest] = context.argv;
    if (first === undefined || first.startsWith('-')) return runSubscribersList(context);
    const subcommand = SUBCOMMANDS[first];
    if (!subcommand)
      throw new UsageError(
        `subscribers: unknown subcommand "${first}"; use ${Object.keys(SUBCOMMANDS).join(', ')} (see "columnwire subscribers --help")`,
      );
    return subcommand({ ...context, argv: rest });
  },
};

async function runSubscribersList({ argv, globals, stdout, stderr }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('subscribers', argv, {
    digest: { type: 'string' },
    json: { type: 'boolean' },
    csv: { type: 'boolean' },
    pending: { type: 'boolean' },
    unsubscribed: { type: 'boolean' },
    bouncing: { type: 'boolean' },
  });
  if (positionals.length > 0)
    throw new UsageError(`subscribers: unexpected argument "${positionals[0]}"; see "columnwire subscribers --help"`);
  if ([values.pending, values.unsubscribed, values.bouncing].filter(Boolean).length > 1)
    throw new UsageError('subscribers: choose one of --pending, --unsubscribed and --bouncing');
  if (values.json && values.csv) throw new UsageError('subscribers: choose --json or --csv, not both');
  const format = values.json ? 'json' : values.csv ? 'csv' : 'table';
  return withApp(
    globals,
    async (app) => {
      const digests = selectDigests('subscribers', app.config.digests, values.digest, app.config.path);
      if (values.pending) {
        const ids = new Set(digests.map((digest) => digest.id));
        const expiry = (signup: Signup) => new Date(signup.requestedAt.getTime() + SIGNUP_LINK_HOURS * 3600_000);
        const now = new Date();
        const all = (await app.store.listSignups(null)).filter((signup) => ids.has(signup.digestId));
        // An expired link confirms nothing: those requests wait for nothing and are not listed.
        const signups = all.filter((signup) => expiry(signup) > now);
        const expired = all.length - signups.length;
        if (expired > 0)
          stderr.write(
            `subscribers: ${expired} signup${expired === 1 ? '' : 's'} not shown: ${expired === 1 ? 'its link' : 'their links'} expired (${SIGNUP_LINK_HOURS} hours); forgotten a day later, at the next signup\n`,
          );
        const expires = (signup: Signup) => expiry(signup).toISOString();
        writeRows(
          stdout,
          format,
          ['address', 'digest', 'name', 'requested', 'expires'],
          signups.map((signup) => [signup.address, signup.digestId, signup.name, signup.requestedAt.toISOString(), expires(signup)]),
        );
        return 0;
      }
      if (values.bouncing) {
        const bounces = await app.store.listBounces();
        writeRows(
          stdout,
          format,
          ['address', 'failures', 'bouncing', 'last', 'error'],
          bounces.map((bounce) => [
            bounce.address,
            String(bounce.failures),
            bounce.bouncingSince?.toISOString() ?? null,
            bounce.lastAt.toISOString(),
            bounce.lastError,
          ]),
        );
        return 0;
      }
      const rows = listSubscribers(digests, app.store);
      const shown = async function* () {
        for await (const row of rows) if (!values.unsubscribed || row.state === 'unsubscribed') yield row;
      };
      if (format === 'json' || format === 'csv') {
        // Written as read, at the pace of the reader: a million subscribers never sit in memory at once.
        await writeChunks(stdout, inChunks(format === 'json' ? jsonLines(shown()) : csvLines(shown())));
        return 0;
      }
      const table: string[][] = [['ADDRESS', 'DIGEST', 'FROM', 'STATE', 'SINCE', 'BY']];
      for await (const row of shown()) table.push(tableRow(row));
      stdout.write(formatTable(table));
      return 0;
    },
    'read-only',
  );
}

/** Rows as a table (upper-case header), JSON objects, or CSV with a header row. */
function writeRows(
  stdout: NodeJS.WritableStream,
  format: 'json' | 'csv' | 'table',
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | null>>,
): void {
  if (format === 'json') {
    const objects = rows.map((row) => Object.fromEntries(header.map((key, index) => [key, row[index] ?? null])));
    stdout.write(`${JSON.stringify(objects, null, 2)}\n`);
  } else if (format === 'csv') {
    stdout.write([header, ...rows].map((row) => row.map((value) => csvField(value ?? '')).join(',')).join('\n') + '\n');
  } else stdout.write(formatTable([header.map((key) => key.toUpperCase()), ...rows.map((row) => row.map((value) => value ?? '-'))]));
}

async function runClearBounce({ argv, globals, stdout }: CommandContext): Promise<number> {
  const { positionals } = parseCommandArgs('subscribers', argv, {});
  if (positionals.length !== 1) throw new UsageError('subscribers clear-bounce: give one ADDRESS; see "columnwire subscribers --help"');
  const address = addressOf(positionals[0]!);
  return withApp(globals, async (app) => {
    const cleared = await app.store.clearBounce(address);
    stdout.write(cleared ? `${address}: bounces cleared; digests are sent to it again\n` : `${address}: no bounces recorded\n`);
    return 0;
  });
}

/** Bounces are small; a larger input is something else. */
const MAX_BOUNCE_BYTES = 10 * 1024 * 1024;

async function runReadBounce({ argv, globals, stdout, stderr }: CommandContext): Promise<number> {
  const { positionals } = parseCommandArgs('subscribers', argv, {});
  if (positionals.length > 1)
    throw new UsageError('subscribers bounce: give one FILE, or none to read stdin; see "columnwire subscribers --help"');
  const file = positionals[0] ?? '-';
  const report = readBounce(await readInput(file));
  if (report === null) {
    // Exit 0: piped from an MTA, a failure would send this message back to its (maybe forged) sender.
    stderr.write(`subscribers bounce: ${file === '-' ? 'stdin' : file} holds no delivery status report (RFC 3464); nothing recorded\n`);
    return 0;
  }
  try {
    return await withApp(globals, async (app) => {
      const threshold = app.config.mail.bounceThreshold;
      const now = new Date();
      for (const recipient of report.recipients) {
        const what = `${recipient.action} ${recipient.status}${recipient.diagnostic ? `: ${recipient.diagnostic}` : ''}`;
        if (!recipient.hard) {
          // The report's words are the remote server's: their control characters are shown, not obeyed.
          stdout.write(`${recipient.address}: ${escapeControls(what)} (not a mailbox failure; not counted)\n`);
          continue;
        }
        // The copy went to the address as the subscriber spelled it; the report may give its domain in the other IDNA form.
        let counted: Awaited<ReturnType<typeof app.store.recordBounceReport>> = 'unknown';
        let to = recipient.address;
        for (const spelling of addressSpellings(recipient.address)) {
          counted = await app.store.recordBounceReport(spelling, report.messageIds, what, now, threshold);
          to = spelling;
          if (counted !== 'unknown') break;
        }
        if (counted === 'bouncing') app.logger.warn({ to }, 'address marked bouncing: no more digests are sent to it');
        stdout.write(`${recipient.address}: ${escapeControls(what)} (${BOUNCE_OUTCOMES[counted](threshold)})\n`);
      }
      return 0;
    });
  } catch (error) {
    // The MTA keeps the message and tries again later (sysexits EX_TEMPFAIL): no bounce is lost to a busy database.
    if (isStoreTransient(error)) {
      stderr.write(`subscribers bounce: the database is ${isStoreBusy(error) ? 'busy' : 'unavailable'}; try again later (exit 75)\n`);
      return 75;
    }
    // So is a config being edited or broken: the MTA takes 2 for a permanent failure and drops the
    // report, while it keeps one answered 75 until the config is fixed.
    if (error instanceof ConfigError) {
      stderr.write(
        `subscribers bounce: ${error.message}\nsubscribers bounce: not read; fix the config, the mail server delivers it again (exit 75)\n`,
      );
      return 75;
    }
    throw error;
  }
}

const BOUNCE_OUTCOMES: Record<'counted' | 'bouncing' | 'duplicate' | 'unknown', (threshold: number) => string> = {
  counted: () => 'counted',
  bouncing: (threshold) => `counted; bouncing now, after ${threshold} reported: nothing more is sent to it`,
  duplicate: () => 'this copy was counted already; not again',
  unknown: () => 'no digest copy to this address carries the Message-ID the report returns; not counted',
};

/** FILE's bytes, or stdin's for "-", at most MAX_BOUNCE_BYTES (readBounce decodes each part by its own charset). */
async function readInput(file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = file === '-' ? process.stdin : createReadStream(file);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BOUNCE_BYTES)
        throw new UsageError(`subscribers bounce: ${file === '-' ? 'stdin' : file} is larger than 10 MiB; a bounce is not`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`subscribers bounce: cannot read ${file}: ${(error as Error).message}`);
  }
  return Buffer.concat(chunks);
}

/** The JSON array, one element per line. */
async function* jsonLines(rows: AsyncIterable<SubscriberRow>): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const row of rows) {
    yield `${first ? '\n' : ',\n'}  ${JSON.stringify(toJson(row))}`;
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

/** The CSV, a header row then a line per row. */
async function* csvLines(rows: AsyncIterable<SubscriberRow>): AsyncGenerator<string> {
  yield 'address,digest,source,name,state,since,scope\n';
  for await (const row of rows) {
    const json = toJson(row);
    yield `${[json.address, json.digest, json.source, json.name ?? '', json.state, json.since ?? '', json.scope ?? ''].map(csvField).join(',')}\n`;
  }
}

/** About 64 KiB of output per write: one write (and drain) per line would cost a system call each. */
const CHUNK_CHARS = 65_536;

async function* inChunks(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let chunk = '';
  for await (const line of lines) {
    chunk += line;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

function toJson(row: SubscriberRow) {
  return {
    address: row.address,
    digest: row.digestId,
    source: row.source,
    name: row.name,
    state: row.state,
    since: row.since?.toISOString() ?? null,
    scope: row.scope,
  };
}

function tableRow(row: SubscriberRow): string[] {
  const scope = row.scope === 'all' ? 'all digests' : row.scope === 'digest' ? 'this digest' : '';
  return [row.address, row.digestId, row.source, row.state, row.since?.toISOString() ?? '-', scope];
}
