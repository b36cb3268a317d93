/** `columnwire feeds [--json]`: the configured feeds and their polling state. */
import { listFeeds } from '../feeds/poll-all.ts';
import { parseCommandArgs, withApp, type Command } from './command.ts';

const help = `Usage: columnwire feeds [--json]

Lists the feeds of the config with their state: last fetch, items (stories it
contributed), consecutive errors, last error and next fetch.

Options:
  --json       print a JSON array instead of a table
  -h, --help   show this help`;

export const feedsCommand: Command = {
  name: 'feeds',
  summary: 'list the feeds and their state',
  help,
  async run({ argv, globals, stdout }) {
    const { values } = parseCommandArgs('feeds', argv, { json: { type: 'boolean' } });
    return withApp(globals, async (app) => {
      const counts = await app.store.countStoriesByFeed();
      const rows = (await listFeeds(app.config, app.store)).map((feed) => ({
        id: feed.id,
        url: feed.url,
        title: feed.source.title ?? feed.title,
        outlet: feed.source.outlet,
        tags: feed.source.tags,
        items: counts.get(feed.id) ?? 0,
        lastFetchAt: feed.lastFetchAt?.toISOString() ?? null,
        lastSuccessAt: feed.lastSuccessAt?.toISOString() ?? null,
        nextFetchAt: feed.nextFetchAt?.toISOString() ?? null,
        consecutiveErrors: feed.consecutiveErrors,
        lastError: feed.lastError,
      }));
      if (values.json) {
        stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return 0;
      }
      const table = [
        ['ID', 'LAST FETCH', 'ITEMS', 'ERRORS', 'NEXT FETCH', 'LAST ERROR'],
        ...rows.map((row) => [row.id, row.lastFetchAt ?? 'never', String(row.items), String(row.consecutiveErrors), row.nextFetchAt ?? 'now', row.lastError ?? '']),
      ];
      const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
      for (const row of table) stdout.write(`${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd()}\n`);
      return 0;
    });
  },
};
