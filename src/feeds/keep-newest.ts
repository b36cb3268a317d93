/**
 * A document's items cut to the newest `max` (poll.maxItemsPerFeed), as feed readers keep
 * a feed's latest thousand or so: a feed of 140,000 tiny items would otherwise cost a
 * structured clone and one long SQLite transaction on the thread that serves HTTP. Pure.
 */
import type { ParsedItem } from '../model.ts';

/** What poll.maxItemsPerFeed is when the config does not say. */
export const DEFAULT_MAX_ITEMS_PER_FEED = 1000;

/**
 * The newest `max` of `items` by date (published, else updated) when any is dated, else the
 * first `max` in document order; kept items stay in document order. `dropped` counts the rest.
 */
export function keepNewest(items: ParsedItem[], max: number): { items: ParsedItem[]; dropped: number } {
  if (items.length <= max) return { items, dropped: 0 };
  const dateOf = (item: ParsedItem): number => (item.published ?? item.updated)?.getTime() ?? Number.NEGATIVE_INFINITY;
  if (!items.some((item) => dateOf(item) !== Number.NEGATIVE_INFINITY)) return { items: items.slice(0, max), dropped: items.length - max };
  // Newest first; equal (or missing) dates keep document order, so the sort is deterministic.
  const order = items.map((item, index) => ({ index, date: dateOf(item) }));
  order.sort((a, b) => b.date - a.date || a.index - b.index);
  const kept = order
    .slice(0, max)
    .map((entry) => entry.index)
    .sort((a, b) => a - b);
  return { items: kept.map((index) => items[index]!), dropped: items.length - max };
}
