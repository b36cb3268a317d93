/**
 * A reader's choices applied to a run's stories: a story is theirs when its columnist, one of
 * its outlets or one of its feeds' tags is among those chosen (nothing chosen: every story).
 * Pure.
 */
import type { FeedSource, Story } from '../model.ts';
import type { Directory } from '../site/directory.ts';
import type { ReaderChoices } from '../storage/store.ts';

/** The stories of `stories` the reader chose, in their order. */
export function selectStories(
  stories: readonly Story[],
  choices: ReaderChoices,
  directory: Pick<Directory, 'columnistsOf' | 'outletOf'>,
  sources: ReadonlyMap<string, FeedSource>,
): Story[] {
  if (choices.columnists.length + choices.outlets.length + choices.tags.length === 0) return [...stories];
  const columnists = new Set(choices.columnists);
  const outlets = new Set(choices.outlets);
  const tags = new Set(choices.tags);
  return stories.filter((story) => {
    if (directory.columnistsOf(story.author, story.feedId).some((columnist) => columnists.has(columnist.slug))) return true;
    const feedIds = story.sources.length > 0 ? story.sources.map((source) => source.feedId) : [story.feedId];
    return feedIds.some((feedId) => {
      const outlet = directory.outletOf(feedId);
      return (outlet !== undefined && outlets.has(outlet.slug)) || (sources.get(feedId)?.tags ?? []).some((tag) => tags.has(tag));
    });
  });
}
