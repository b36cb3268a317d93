/**
 * `columnwire subscribers [list]`: who gets each digest, who unsubscribed and when. A command
 * with subcommands, `list` the default, so add/remove/import/export can join it.
 */
import type { DigestConfig } from '../config/schema.ts';
import { listSubscribers, type SubscriberRow } from '../digest/list-subscribers.ts';
import { UsageError } from '../errors.ts';
import { parseCommandArgs, withApp, type Command, type CommandContext } from './command.ts';
import { formatTable } from './format-table.ts';

const help = `Usage: columnwire subscribers [list] [--digest ID] [--json]

Lists the recipients of each digest (the to: lists of feeds.yaml) with their standing:
subscribed, or unsubscribed and since when, from that digest or from all digests (the
unsubscribe page offers both). "columnwire digest --resubscribe ADDR [--id ID]" undoes one.

Subcommands:
  list          the listing (the default)

Options:
  --digest ID   only this digest
  --json        print a JSON array of {address, digest, state, since, scope}
  -h, --help    show this help`;

const SUBCOMMANDS: Record<string, (context: CommandContext) => Promise<number>> = {
  list: runSubscribersList,
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
      const rows = await listSubscribers(selectDigests(app.config.digests, values.digest, app.config.path), app.store);
      stdout.write(values.json ? `${JSON.stringify(rows.map(toJson), null, 2)}\n` : formatRows(rows));
      return 0;
    },
    'read-only',
  );
}

function selectDigests(digests: readonly DigestConfig[], id: string | undefined, configPath: string): DigestConfig[] {
  if (digests.length === 0)
    throw new UsageError(`subscribers: ${configPath} defines no digests; add a "digests:" list (see README, "Digests")`);
  if (id === undefined) return [...digests];
  const digest = digests.find((candidate) => candidate.id === id);
  if (!digest)
    throw new UsageError(`subscribers: no digest with id "${id}"; digests: ${digests.map((candidate) => candidate.id).join(', ')}`);
  return [digest];
}

function toJson(row: SubscriberRow) {
  return { address: row.address, digest: row.digestId, state: row.state, since: row.since?.toISOString() ?? null, scope: row.scope };
}

function formatRows(rows: readonly SubscriberRow[]): string {
  const scope = (row: SubscriberRow) => (row.scope === 'all' ? 'all digests' : row.scope === 'digest' ? 'this digest' : '');
  return formatTable([
    ['ADDRESS', 'DIGEST', 'STATE', 'SINCE', 'BY'],
    ...rows.map((row) => [row.address, row.digestId, row.state, row.since?.toISOString() ?? '-', scope(row)]),
  ]);
}
