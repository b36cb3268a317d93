/** `columnwire feeds remove <id>`: deletes a feed's entry from feeds.yaml; its stored stories stay. */
import { feedIndexOf } from '../config/feed-lookup.ts';
import { updateConfigFile } from '../config/update-config-file.ts';
import { UsageError } from '../errors.ts';
import { redactUrl } from '../redact.ts';
import { parseCommandArgs, type CommandContext } from './command.ts';

/** Runs `feeds remove` (argv after "remove"). */
export function runFeedsRemove({ argv, globals, stdout }: CommandContext): number {
  const { positionals } = parseCommandArgs('feeds remove', argv, {});
  if (positionals.length !== 1) throw new UsageError('feeds remove: give exactly one feed id; run "columnwire feeds" to list them');
  const id = positionals[0]!;
  const update = updateConfigFile(globals.configPath, `removing feed "${id}"`, (current) => {
    const index = feedIndexOf(current, id, 'feeds remove');
    // parseConfig would refuse the result too, but this says which digest and what to do.
    const digest = current.digests.find((candidate) => candidate.feeds.includes(id));
    if (digest)
      throw new UsageError(
        `feeds remove: digest "${digest.id}" lists feed "${id}" in its feeds:; take it out of that list first (nothing was written)`,
      );
    return { kind: 'remove', index };
  });
  // The plan always removes, so there is always an update.
  const { before, result } = update!;
  const removed = before.feeds.find((feed) => feed.id === id)!;
  stdout.write(`removed feed ${id} (${redactUrl(removed.url)}) from ${before.path}; its stored stories stay\n`);
  for (const comment of result.removedComments) stdout.write(`  with the comment above it: ${comment}\n`);
  return 0;
}
