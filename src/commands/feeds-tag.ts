/** `columnwire feeds tag <id> <tag>... [--remove]`: adds tags to a feed in feeds.yaml, or takes them off. */
import { feedIndexOf } from '../config/feed-lookup.ts';
import { loadConfig } from '../config/load.ts';
import { normalizeTags } from '../config/normalize-tag.ts';
import { updateConfigFile } from '../config/update-config-file.ts';
import { UsageError } from '../errors.ts';
import { parseCommandArgs, type CommandContext } from './command.ts';

/** Runs `feeds tag` (argv after "tag"). */
export function runFeedsTag({ argv, globals, stdout }: CommandContext): number {
  const { values, positionals } = parseCommandArgs('feeds tag', argv, { remove: { type: 'boolean' } });
  const [id, ...given] = positionals;
  if (id === undefined || given.length === 0)
    throw new UsageError('feeds tag: give a feed id and at least one tag, like "columnwire feeds tag jane politics uk"');
  if (given.some((tag) => tag.trim() === '')) throw new UsageError('feeds tag: a tag must not be empty');
  // Normalised as feeds.yaml's tags are, so "Politics UK" adds (or takes off) politics-uk.
  const tags = normalizeTags(given);
  const update = updateConfigFile(globals.configPath, `tagging feed "${id}"`, (current) => {
    const index = feedIndexOf(current, id, 'feeds tag');
    const now = current.feeds[index]!.tags;
    const next = values.remove ? now.filter((tag) => !tags.includes(tag)) : [...new Set([...now, ...tags])];
    return next.length === now.length && next.every((tag, position) => tag === now[position])
      ? null
      : { kind: 'set-tags', index, tags: next };
  });
  const feed = (update?.after ?? loadConfig(globals.configPath)).feeds.find((candidate) => candidate.id === id)!;
  const list = feed.tags.length > 0 ? feed.tags.join(', ') : '(none)';
  stdout.write(`feed ${id} tags: ${list}${update ? '' : ' (unchanged)'}\n`);
  return 0;
}
