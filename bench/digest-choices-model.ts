/**
 * The digest choices scenario's data and what it must produce, worked out without src's
 * selectStories: 11 tagged feeds (10 with 10 stories each in the run, one whose stories were
 * first seen two days ago, so choosing only it yields nothing), 20 seeded distinct selections
 * of columnists/outlets/tags, and which of the run's feeds each selection covers.
 */
import type { ReaderChoices } from '../src/storage/store.ts';
import { benchDigestYaml, FEEDS, OUTLETS } from './digest.ts';
import { columnistName } from './generate-feeds.ts';
import { serveFeedId } from './serve-seed.ts';

/** Feed index of the feed whose stories are older than the run's window (no story in the run). */
export const OLD_FEED = FEEDS;
export const SELECTIONS = 20;
export const CHOOSER_SHARE = 0.3;

const TAGS_BY_FEED: readonly (readonly string[])[] = [
  ['politics'],
  ['politics', 'europe'],
  ['politics'],
  ['economy'],
  ['economy', 'europe'],
  ['climate'],
  ['climate'],
  ['culture', 'europe'],
  ['culture'],
  ['tech'],
  ['sport'],
];

const outletName = (feed: number): string => (feed === OLD_FEED ? 'The Gazette' : OUTLETS[feed % OUTLETS.length]!);
/** A slug as the site makes one from a plain ASCII name: "Jane Doe" → "jane-doe". */
const slugOf = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
const allFeeds = Array.from({ length: FEEDS + 1 }, (_, feed) => feed);
export const columnistSlug = (feed: number): string => slugOf(columnistName(feed));
const outletSlug = (feed: number): string => slugOf(outletName(feed));

/** feeds.yaml for the scenario: the digest goes only to subscribers kept as data. */
export function choicesConfigYaml(): string {
  const feeds = allFeeds.map((feed) =>
    [
      `  - url: https://columnists.example/${serveFeedId(feed)}/rss`,
      `    id: ${serveFeedId(feed)}`,
      `    title: ${columnistName(feed)}`,
      `    outlet: ${outletName(feed)}`,
      `    tags: [${TAGS_BY_FEED[feed]!.join(', ')}]`,
    ].join('\n'),
  );
  return benchDigestYaml('Columnwire digest choices bench', feeds);
}

const keyOf = (choices: ReaderChoices): string =>
  JSON.stringify([choices.columnists, choices.outlets, choices.tags].map((values) => [...new Set(values)].sort()));

/**
 * 20 distinct selections: five written out (nothing in the run twice, the whole run, and two
 * different choices covering the same stories), then seeded draws of one to three items.
 */
export function makeSelections(random: () => number): ReaderChoices[] {
  const pools = {
    columnists: allFeeds.map(columnistSlug),
    outlets: [...new Set(allFeeds.map(outletSlug))],
    tags: [...new Set(TAGS_BY_FEED.flat())],
  };
  const selections: ReaderChoices[] = [
    { columnists: [], outlets: [], tags: ['sport'] },
    { columnists: [columnistSlug(OLD_FEED)], outlets: [outletSlug(OLD_FEED)], tags: [] },
    { columnists: [], outlets: OUTLETS.map(slugOf), tags: [] },
    { columnists: [], outlets: [], tags: ['tech'] },
    { columnists: [columnistSlug(9)], outlets: [], tags: [] },
  ];
  const seen = new Set(selections.map(keyOf));
  const categories = ['columnists', 'outlets', 'tags'] as const;
  while (selections.length < SELECTIONS) {
    const drawn: ReaderChoices = { columnists: [], outlets: [], tags: [] };
    const items = 1 + Math.floor(random() * 3);
    for (let item = 0; item < items; item++) {
      const category = categories[Math.floor(random() * categories.length)]!;
      const pool = pools[category];
      drawn[category].push(pool[Math.floor(random() * pool.length)]!);
    }
    const tidy = { columnists: [...new Set(drawn.columnists)], outlets: [...new Set(drawn.outlets)], tags: [...new Set(drawn.tags)] };
    if (!seen.has(keyOf(tidy))) {
      seen.add(keyOf(tidy));
      selections.push(tidy);
    }
  }
  return selections;
}

/** The run's feeds (0–9) a selection covers: a feed's stories share its columnist, outlet and tags. */
export function feedsChosen(choices: ReaderChoices): number[] {
  return allFeeds
    .filter((feed) => feed !== OLD_FEED)
    .filter(
      (feed) =>
        choices.columnists.includes(columnistSlug(feed)) ||
        choices.outlets.includes(outletSlug(feed)) ||
        TAGS_BY_FEED[feed]!.some((tag) => choices.tags.includes(tag)),
    );
}

/** Which recipients choose, and what: a seeded 30% of the indexes, chooser j taking selection j mod 20. */
export function assignChoosers(recipients: number, random: () => number): Map<number, number> {
  const order = Array.from({ length: recipients }, (_, index) => index);
  for (let index = order.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [order[index], order[other]] = [order[other]!, order[index]!];
  }
  const choosers = order.slice(0, Math.round(recipients * CHOOSER_SHARE));
  return new Map(choosers.map((recipient, j) => [recipient, j % SELECTIONS]));
}

/** What the selections make the run do: story sets that need their own render, and which yield nothing or everything. */
export function expectedRenders(selections: readonly ReaderChoices[]): { distinct: number; empty: number[]; full: number[] } {
  const sets = selections.map((selection) => feedsChosen(selection));
  const partial = new Set(sets.filter((feeds) => feeds.length > 0 && feeds.length < FEEDS).map((feeds) => feeds.join(',')));
  return {
    distinct: partial.size,
    empty: sets.flatMap((feeds, index) => (feeds.length === 0 ? [index] : [])),
    full: sets.flatMap((feeds, index) => (feeds.length === FEEDS ? [index] : [])),
  };
}
