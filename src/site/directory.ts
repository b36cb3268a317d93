/**
 * Who writes and where: columnists (a person across feeds and outlets) and outlets, derived
 * from the stored bylines and the config. A columnist is an author name folded (case, accents
 * and punctuation aside), merged with its aliases from `columnists:` in feeds.yaml; a byline
 * that names configured columnists among others ("John Roe and Jane Doe") is each of theirs;
 * a feed's unsigned stories belong to the columnist that lists the feed, else to the feed's
 * title (a one-person feed is named for its columnist). Pure.
 */
import type { RawConfig } from '../config/schema.ts';
import { bylineNames } from '../feeds/pick-authors.ts';
import { spaceCjk } from '../cjk-text.ts';
import { foldText } from '../fold-text.ts';
import { authorToken, feedToken, unsignedToken } from '../search-tokens.ts';
import { stringHash } from '../string-hash.ts';
import type { FeedSource } from '../model.ts';
import type { BylineStat } from '../storage/store.ts';
import type { SearchTerm } from './search-query.ts';

/** A column as an index shows it: the newest of someone's or somewhere's. */
export interface LatestColumn {
  publicId: string;
  title: string | null;
  published: Date;
}

export interface Columnist {
  slug: string;
  name: string;
  photo: string | null;
  bio: string | null;
  byline: { authorKeys: string[]; feedIds: string[] };
  /** Outlets they wrote for, most columns first. */
  outlets: Outlet[];
  /** Tags of the feeds they wrote in. */
  tags: string[];
  stories: number;
  latest: LatestColumn | null;
}

export interface Outlet {
  slug: string;
  name: string;
  feedIds: string[];
  stories: number;
  latest: LatestColumn | null;
}

export interface Directory {
  /** Newest column first; those with none last, by name. */
  columnists: Columnist[];
  /** Newest column first. */
  outlets: Outlet[];
  columnist(slug: string): Columnist | undefined;
  outlet(slug: string): Outlet | undefined;
  /** The columnist a story's byline names (its author, else its feed), or undefined; the first of a co-signed byline's. */
  columnistOf(author: string | null, feedId: string): Columnist | undefined;
  /** Every columnist a story's byline names: several for a byline co-signed by configured columnists. */
  columnistsOf(author: string | null, feedId: string): Columnist[];
  /** The outlet of a feed, or undefined when the feed names none. */
  outletOf(feedId: string): Outlet | undefined;
  /** The columnists (by name or alias) and outlets a search names: every word of it in the name, newest column first. */
  named(terms: readonly SearchTerm[]): { columnists: Columnist[]; outlets: Outlet[] };
  /**
   * The search tokens (search-tokens.ts) of the outlets and columnists one term names (every
   * word of it in a name or alias): an outlet's feeds first, then a columnist's bylines and
   * unsigned feeds; at most `limit`.
   */
  searchTokens(term: SearchTerm, limit: number): string[];
}

type ConfiguredColumnist = RawConfig['columnists'][number];

/**
 * `text` as a URL path segment: lower-case letters, digits and dashes, in any script (accents
 * dropped from Latin, Greek and Cyrillic letters: "Zoë" is zoe; "Иван Петров" is иван-петров,
 * "李明" 李明); at most 60 characters, a longer name cut with a hash of the whole; `fallback`
 * when nothing is left. Links percent-encode it.
 */
export function slugify(text: string, fallback: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/([\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}])\p{M}+/gu, '$1')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  const points = Array.from(slug);
  // A longer name is cut (by code points, never inside a surrogate pair) and keeps a hash of
  // the whole: two names alike in their first 60 characters still get slugs of their own,
  // whichever came first.
  const cut =
    points.length <= MAX_SLUG_POINTS
      ? slug
      : `${points
          .slice(0, MAX_SLUG_POINTS - 8)
          .join('')
          .replace(/-+$/, '')}-${stringHash(slug).toString(36).slice(-7)}`;
  return cut === '' || /^\p{M}/u.test(cut) ? fallback : cut;
}

/** Code points in a slug at most. */
const MAX_SLUG_POINTS = 60;

/** Builds the directory from the store's byline counts, the configured feeds and columnists. */
export function buildDirectory(
  stats: readonly BylineStat[],
  feeds: readonly FeedSource[],
  configured: readonly ConfiguredColumnist[],
): Directory {
  const feedById = new Map(feeds.map((feed) => [feed.id, feed]));

  // Outlets: the configured `outlet:` names, each with its feeds.
  const outletByName = new Map<string, Outlet>();
  const outletOfFeed = new Map<string, Outlet>();
  const takenOutletSlugs = new Set<string>();
  for (const feed of feeds) {
    if (!feed.outlet) continue;
    const key = foldText(feed.outlet) ?? feed.outlet;
    let outlet = outletByName.get(key);
    if (!outlet) {
      outlet = { slug: unique(slugify(feed.outlet, 'outlet'), takenOutletSlugs), name: feed.outlet, feedIds: [], stories: 0, latest: null };
      outletByName.set(key, outlet);
    }
    outlet.feedIds.push(feed.id);
    outletOfFeed.set(feed.id, outlet);
  }

  // Columnists: configured ones claim their names, aliases and feeds; the rest are derived.
  interface Draft {
    columnist: Columnist;
    feedStories: Map<string, number>;
    /** A derived columnist's key: slugs are given once all are known, in key order. */
    derivedKey?: string;
  }
  const drafts: Draft[] = [];
  const byKey = new Map<string, Draft>();
  const byUnsignedFeed = new Map<string, Draft>();
  const takenSlugs = new Set<string>();
  const draft = (name: string, slug: string | undefined, extra: Partial<Columnist> = {}): Draft => {
    const made: Draft = {
      columnist: {
        slug: slug === undefined ? '' : unique(slug, takenSlugs),
        name,
        photo: null,
        bio: null,
        byline: { authorKeys: [], feedIds: [] },
        outlets: [],
        tags: [],
        stories: 0,
        latest: null,
        ...extra,
      },
      feedStories: new Map(),
    };
    drafts.push(made);
    return made;
  };
  // Explicit slugs first, so a derived name never takes one a columnist was given.
  for (const entry of configured) if (entry.slug) takenSlugs.add(entry.slug);
  for (const entry of configured) {
    if (entry.slug) takenSlugs.delete(entry.slug);
    const made = draft(entry.name, entry.slug ?? slugify(entry.name, 'columnist'), { photo: entry.photo ?? null, bio: entry.bio ?? null });
    for (const name of [entry.name, ...entry.aliases]) {
      const key = foldText(name);
      if (key && !byKey.has(key)) byKey.set(key, made);
    }
    for (const feedId of entry.feeds) byUnsignedFeed.set(feedId, made);
  }
  const configuredByKey = new Map(byKey);
  const ofKey = (key: string, name: string): Draft => {
    let found = byKey.get(key);
    if (!found) {
      found = draft(name, undefined);
      found.derivedKey = key;
      byKey.set(key, found);
    }
    return found;
  };
  /** The configured columnists a byline names: itself, else each person it lists ("A and B", "By A"). */
  const configuredOf = (key: string, author: string | null): Draft[] => {
    const whole = configuredByKey.get(key);
    if (whole) return [whole];
    return [...new Set(bylineNames(author).flatMap((name) => configuredByKey.get(name) ?? []))];
  };

  // Newest stats first: a derived columnist is named as their newest column signs.
  const ordered = [...stats].sort((a, b) => b.latest.published.getTime() - a.latest.published.getTime());
  for (const stat of ordered) {
    let targets: Draft[];
    if (stat.authorKey !== null) {
      const configuredTargets = configuredOf(stat.authorKey, stat.author);
      targets = configuredTargets.length > 0 ? configuredTargets : [ofKey(stat.authorKey, stat.author ?? stat.authorKey)];
      for (const target of targets) {
        if (!target.columnist.byline.authorKeys.includes(stat.authorKey)) target.columnist.byline.authorKeys.push(stat.authorKey);
      }
    } else {
      let target = byUnsignedFeed.get(stat.feedId);
      const title = feedById.get(stat.feedId)?.title ?? null;
      const key = foldText(title);
      if (!target && key && title) target = ofKey(key, title);
      if (!target) continue;
      if (!target.columnist.byline.feedIds.includes(stat.feedId)) target.columnist.byline.feedIds.push(stat.feedId);
      targets = [target];
    }
    for (const target of targets) {
      const columnist = target.columnist;
      columnist.stories += stat.stories;
      if (!columnist.latest || stat.latest.published > columnist.latest.published) columnist.latest = stat.latest;
      target.feedStories.set(stat.feedId, (target.feedStories.get(stat.feedId) ?? 0) + stat.stories);
    }
    const outlet = outletOfFeed.get(stat.feedId);
    if (outlet) {
      outlet.stories += stat.stories;
      if (!outlet.latest || stat.latest.published > outlet.latest.published) outlet.latest = stat.latest;
    }
  }
  // A derived columnist's slug comes from their name, numbered in the order of their keys: the
  // same names give the same slugs whichever wrote last (a reader's choices are kept by slug).
  const derived = drafts.filter((made) => made.derivedKey !== undefined);
  derived.sort((a, b) => (a.derivedKey! < b.derivedKey! ? -1 : a.derivedKey! > b.derivedKey! ? 1 : 0));
  for (const made of derived) made.columnist.slug = unique(slugify(made.columnist.name, 'columnist'), takenSlugs);
  // A configured columnist's listed feeds are theirs even before those feeds signed anything.
  for (const [feedId, made] of byUnsignedFeed) {
    if (!made.columnist.byline.feedIds.includes(feedId)) made.columnist.byline.feedIds.push(feedId);
  }
  for (const { columnist, feedStories } of drafts) {
    const byOutlet = new Map<Outlet, number>();
    for (const [feedId, count] of feedStories) {
      const outlet = outletOfFeed.get(feedId);
      if (outlet) byOutlet.set(outlet, (byOutlet.get(outlet) ?? 0) + count);
    }
    columnist.outlets = [...byOutlet].sort((a, b) => b[1] - a[1] || a[0].name.localeCompare(b[0].name)).map(([outlet]) => outlet);
    columnist.tags = [
      ...new Set([...feedStories.keys(), ...columnist.byline.feedIds].flatMap((feedId) => feedById.get(feedId)?.tags ?? [])),
    ].sort();
  }

  const newestFirst = <T extends { latest: LatestColumn | null; name: string }>(a: T, b: T) =>
    (b.latest?.published.getTime() ?? -Infinity) - (a.latest?.published.getTime() ?? -Infinity) || a.name.localeCompare(b.name);
  // A derived columnist with no story left (all pruned) is no columnist; a configured one stays.
  const columnists = drafts
    .filter(({ columnist }) => columnist.stories > 0 || configured.some((entry) => entry.name === columnist.name))
    .map(({ columnist }) => columnist)
    .sort(newestFirst);
  const outlets = [...outletByName.values()].sort(newestFirst);
  const columnistBySlug = new Map(columnists.map((columnist) => [columnist.slug, columnist]));
  const columnistsOf = (author: string | null, feedId: string): Columnist[] => {
    const key = foldText(author);
    if (key) {
      const configuredTargets = configuredOf(key, author);
      const found = configuredTargets.length > 0 ? configuredTargets : [byKey.get(key)].filter((draft) => draft !== undefined);
      return found.map((draft) => draft.columnist);
    }
    const found = byUnsignedFeed.get(feedId) ?? byKey.get(foldText(feedById.get(feedId)?.title ?? null) ?? '');
    return found ? [found.columnist] : [];
  };
  const outletBySlug = new Map(outlets.map((outlet) => [outlet.slug, outlet]));
  const aliasesOf = new Map(configured.map((entry) => [entry.name, entry.aliases]));
  const columnistNames = columnists.map((columnist) => ({
    found: columnist,
    names: [columnist.name, ...(aliasesOf.get(columnist.name) ?? [])].map(nameWords),
  }));
  const outletNames = outlets.map((outlet) => ({ found: outlet, names: [nameWords(outlet.name)] }));
  return {
    columnists,
    outlets,
    columnist: (slug) => columnistBySlug.get(slug),
    outlet: (slug) => outletBySlug.get(slug),
    columnistOf: (author, feedId) => columnistsOf(author, feedId)[0],
    columnistsOf,
    outletOf: (feedId) => outletOfFeed.get(feedId),
    named(terms) {
      const wanted = termWords(terms);
      const pick = <T>(entries: ReadonlyArray<{ found: T; names: string[][] }>): T[] =>
        wanted.length === 0
          ? []
          : entries
              .filter(({ names }) => namesAll(names, wanted))
              .slice(0, NAMED_SHOWN)
              .map(({ found }) => found);
      return { columnists: pick(columnistNames), outlets: pick(outletNames) };
    },
    searchTokens(term, limit) {
      const wanted = termWords([term]);
      const tokens = new Set<string>();
      if (wanted.length === 0) return [];
      for (const { found, names } of outletNames) {
        if (namesAll(names, wanted)) for (const feedId of found.feedIds) tokens.add(feedToken(feedId));
      }
      for (const { found, names } of columnistNames) {
        if (!namesAll(names, wanted)) continue;
        for (const key of found.byline.authorKeys) tokens.add(authorToken(key));
        for (const feedId of found.byline.feedIds) tokens.add(unsignedToken(feedId));
      }
      return [...tokens].slice(0, limit);
    },
  };
}

/** The words of search terms, folded as names are; the last of a prefix term a prefix. */
function termWords(terms: readonly SearchTerm[]): Array<{ word: string; prefix: boolean }> {
  return terms.flatMap((term) =>
    term.words.flatMap((word, index) => {
      const folded = foldText(word);
      return folded ? folded.split(' ').map((part) => ({ word: part, prefix: term.prefix && index === term.words.length - 1 })) : [];
    }),
  );
}

/** Whether one of `names` (each its words) holds every wanted word. */
function namesAll(names: readonly string[][], wanted: ReadonlyArray<{ word: string; prefix: boolean }>): boolean {
  return names.some((words) => wanted.every(({ word, prefix }) => words.some((own) => (prefix ? own.startsWith(word) : own === word))));
}

/** Columnists and outlets a search shows at most, each. */
const NAMED_SHOWN = 5;

/** A name's words, folded as author keys are ("J. Doe": j, doe; "李明": 李, 明). */
function nameWords(name: string): string[] {
  return foldText(spaceCjk(name))?.split(' ') ?? [];
}

/** `slug`, or `slug-2`, `slug-3`… when taken; marks the result taken. */
function unique(slug: string, taken: Set<string>): string {
  let candidate = slug;
  for (let n = 2; taken.has(candidate); n++) candidate = `${slug}-${n}`;
  taken.add(candidate);
  return candidate;
}
