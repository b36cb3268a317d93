/** `columnwire feeds [--json]` lists the feeds and their polling state; `feeds add|remove|tag` edit feeds.yaml. */
import { UsageError } from '../errors.ts';
import { listFeeds } from '../feeds/list-feeds.ts';
import type { Feed } from '../model.ts';
import { redactSecrets, redactUrl } from '../redact.ts';
import { firstRunFrom } from '../scheduler.ts';
import { parseCommandArgs, withApp, type Command, type CommandContext } from './command.ts';
import { formatTable } from './format-table.ts';
import { runFeedsAdd } from './feeds-add.ts';
import { runFeedsRemove } from './feeds-remove.ts';
import { runFeedsTag } from './feeds-tag.ts';

const help = `Usage: columnwire feeds [--json]
       columnwire feeds add <url-or-page> [--id ID] [--title T] [--outlet O] [--tag T]...
       columnwire feeds remove <id>
       columnwire feeds tag <id> <tag>... [--remove]

Lists the feeds of the config with their state: last fetch, items (stories it
contributed), consecutive errors, last error and next fetch: the first tick of
poll.schedule that is after now and not before the feed's own wait (publisher ttl or
Cache-Control, backoff, Retry-After), when "columnwire run" really fetches it; "now" for a
feed never fetched (the service fetches it as soon as it starts or reloads).

add, remove and tag edit feeds.yaml in place, keeping its comments, blank lines and key
order. The file is read again just before writing and written only if the result is a
valid config, so hand edits made meanwhile are never lost.
  add      finds the feed (a page URL is searched for its <link rel="alternate">), fetches
           it once to prove it parses, and appends it to feeds:. The id is made from the
           feed URL unless --id is given. A feed already listed under the same URL (up to
           http/https, www., a trailing slash and tracking parameters) is refused.
  remove   deletes the entry and the comment lines directly above it. Its stories stay in
           the merged feed and the archive; only polling stops.
  tag      adds tags to a feed, or takes them off with --remove.

Options:
  --json        list: print a JSON array instead of a table
  --id ID       add: the feed's id (lower-case letters, digits, "-", "_", ".")
  --title T     add: the columnist's name (default: the feed's own title)
  --outlet O    add: the publication
  --tag T       add: a tag; repeat for more
  --remove      tag: take these tags off instead of adding them
  -h, --help    show this help`;

const SUBCOMMANDS: Record<string, (context: CommandContext) => number | Promise<number>> = {
  add: runFeedsAdd,
  remove: runFeedsRemove,
  tag: runFeedsTag,
};

export const feedsCommand: Command = {
  name: 'feeds',
  help,
  async run(context) {
    const [first, ...rest] = context.argv;
    if (first === undefined || first.startsWith('-')) return runFeedsList(context);
    const subcommand = SUBCOMMANDS[first];
    if (!subcommand)
      throw new UsageError(
        `feeds: unknown subcommand "${first}"; use add, remove or tag, or no subcommand to list (see "columnwire feeds --help")`,
      );
    return subcommand({ ...context, argv: rest });
  },
};

async function runFeedsList({ argv, globals, stdout }: CommandContext): Promise<number> {
  const { values } = parseCommandArgs('feeds', argv, { json: { type: 'boolean' } });
  return withApp(
    globals,
    async (app) => {
      const counts = await app.store.countStoriesByFeed();
      const rows = (await listFeeds(app.config, app.store)).map((feed) => ({
        id: feed.id,
        // Passwords and tokens stay in feeds.yaml: a listing may be pasted into a bug report.
        url: redactUrl(feed.url),
        title: feed.source.title ?? feed.title,
        outlet: feed.source.outlet,
        tags: feed.source.tags,
        items: counts.get(feed.id) ?? 0,
        lastFetchAt: feed.lastFetchAt?.toISOString() ?? null,
        lastSuccessAt: feed.lastSuccessAt?.toISOString() ?? null,
        nextFetchAt: nextFetch(feed, app.config.poll.schedule, new Date())?.toISOString() ?? null,
        consecutiveErrors: feed.consecutiveErrors,
        lastError: feed.lastError === null ? null : redactSecrets(feed.lastError, [feed.url, feed.configuredUrl, feed.source.url]),
      }));
      if (values.json) {
        stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return 0;
      }
      stdout.write(
        formatTable([
          ['ID', 'LAST FETCH', 'ITEMS', 'ERRORS', 'NEXT FETCH', 'LAST ERROR'],
          ...rows.map((row) => [
            row.id,
            row.lastFetchAt ?? 'never',
            String(row.items),
            String(row.consecutiveErrors),
            row.nextFetchAt ?? 'now',
            row.lastError ?? '',
          ]),
        ]),
      );
      return 0;
    },
    'read-only',
  );
}

/** When the service really fetches `feed`: the first poll tick after `now` and not before its stored nextFetchAt; null when never fetched. */
function nextFetch(feed: Feed, pollSchedule: string, now: Date): Date | null {
  if (feed.nextFetchAt === null) return null;
  return firstRunFrom(pollSchedule, feed.nextFetchAt, now) ?? feed.nextFetchAt;
}
