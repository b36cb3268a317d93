/** `columnwire export --format rss|atom|json [--tag TAG] [--limit N]`: the merged feed on stdout. */
import { UsageError } from '../errors.ts';
import type { FeedFormat } from '../publish/build-merged-feed.ts';
import { parseCommandArgs, parseCount, withApp, type Command } from './command.ts';

const help = `Usage: columnwire export --format rss|atom|json [--tag TAG] [--limit N]

Writes the merged feed to stdout: newest first, one entry per story, with its columnist,
outlet and every source it appeared in.

Options:
  --format F   rss (RSS 2.0), atom (Atom 1.0) or json (JSON Feed); default rss
  --tag TAG    only stories from feeds with this tag (feeds.yaml tags)
  --limit N    at most N stories (default 50, at most 10000)
  -h, --help   show this help`;

const FORMATS: readonly FeedFormat[] = ['rss', 'atom', 'json'];

export const exportCommand: Command = {
  name: 'export',
  help,
  async run({ argv, globals, stdout }) {
    const { values } = parseCommandArgs('export', argv, { format: { type: 'string' }, tag: { type: 'string' }, limit: { type: 'string' } });
    const format = (values.format ?? 'rss') as FeedFormat;
    if (!FORMATS.includes(format)) throw new UsageError(`export: --format must be rss, atom or json, got "${values.format}"`);
    const limit = parseCount('export', 'limit', values.limit, 50, 10_000);
    return withApp(
      globals,
      async (app) => {
        const tag = values.tag;
        const published = await app.publishedFeeds();
        if (tag !== undefined && !published.exists({ kind: 'tag', tag })) {
          throw new UsageError(`export: no feed has the tag "${tag}"; tags in use: ${published.tags.join(', ') || '(none)'}`);
        }
        const document = await published.feed(tag === undefined ? { kind: 'all' } : { kind: 'tag', tag }, format, limit);
        stdout.write(document.identity);
        stdout.write('\n');
        return 0;
      },
      'read-only',
    );
  },
};
