/**
 * `columnwire subscribers [list|add|remove|import|export]`: who gets each digest (the to: lists
 * of feeds.yaml and the subscribers kept as data), who unsubscribed and when; and the
 * subscribers themselves, added one by one or from CSV (`email,name`).
 */
import { listSubscribers, type SubscriberRow } from '../digest/list-subscribers.ts';
import { UsageError } from '../errors.ts';
import { parseCommandArgs, withApp, type CommandContext, type Command } from './command.ts';
import { formatTable } from './format-table.ts';
import { selectDigests } from './select-digests.ts';
import { runSubscribersAdd, runSubscribersExport, runSubscribersImport, runSubscribersRemove } from './subscribers-edit.ts';

const help = `Usage: columnwire subscribers [list] [--digest ID] [--json]
       columnwire subscribers add ADDRESS [--name NAME] [--digest ID]
       columnwire subscribers remove ADDRESS [--digest ID]
       columnwire subscribers import FILE.csv [--digest ID]
       columnwire subscribers export [--digest ID] [--output FILE]

A digest goes to the addresses of its to: list in feeds.yaml and to its subscribers kept
in the database (for lists too long for the config: any number, imported from CSV). Both
keep their unsubscribe state per digest: an unsubscribed address gets nothing, whichever
list it is on. "columnwire digest --resubscribe ADDR [--id ID]" undoes an unsubscribe.

Subcommands:
  list      every recipient with where it comes from (config or subscriber) and its
            standing: subscribed, or unsubscribed and since when, from that digest or all
            (the default subcommand)
  add       subscribes ADDRESS (or "Name <address>") to the digest; again renames it
  remove    removes ADDRESS from the digest's subscribers (every digest's without --digest);
            an address on a to: list stays there: edit feeds.yaml, or let it unsubscribe
  import    subscribes every line of a CSV file, "email,name" (a header row is optional,
            quotes as in RFC 4180). Lines that are not addresses are listed with their line
            numbers and left out; the rest are imported. Exit 1 when any line was left out
  export    the digest's subscribers who get it now, as CSV "email,name", to stdout or FILE

Options:
  --digest ID     the digest (needed with several digests, except for list and remove)
  --name NAME     the display name for the To header (add)
  --json          list: a JSON array of {address, digest, source, name, state, since, scope}
  --output FILE   export: write FILE instead of stdout
  -h, --help      show this help`;

const SUBCOMMANDS: Record<string, (context: CommandContext) => Promise<number>> = {
  list: runSubscribersList,
  add: runSubscribersAdd,
  remove: runSubscribersRemove,
  import: runSubscribersImport,
  export: runSubscribersExport,
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

async function runSubscribersList({ argv, globals, stdout }: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('subscribers', argv, { digest: { type: 'string' }, json: { type: 'boolean' } });
  if (positionals.length > 0)
    throw new UsageError(`subscribers: unexpected argument "${positionals[0]}"; see "columnwire subscribers --help"`);
  return withApp(
    globals,
    async (app) => {
      const rows = listSubscribers(selectDigests('subscribers', app.config.digests, values.digest, app.config.path), app.store);
      if (values.json) {
        // One element per line, written as read: a million subscribers never sit in memory at once.
        let first = true;
        stdout.write('[');
        for await (const row of rows) {
          stdout.write(`${first ? '\n' : ',\n'}  ${JSON.stringify(toJson(row))}`);
          first = false;
        }
        stdout.write(first ? ']\n' : '\n]\n');
        return 0;
      }
      const table: string[][] = [['ADDRESS', 'DIGEST', 'FROM', 'STATE', 'SINCE', 'BY']];
      for await (const row of rows) table.push(tableRow(row));
      stdout.write(formatTable(table));
      return 0;
    },
    'read-only',
  );
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
