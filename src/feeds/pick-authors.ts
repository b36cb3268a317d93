/**
 * Picking columnists out of a multi-author feed (`columnists[].pickFrom` in feeds.yaml): such a
 * feed keeps only the items a picking columnist signed, alone or with others, and its unsigned
 * items only when a picking columnist also claims the feed's unsigned stories (`feeds:`). Pure.
 */
import { foldText } from '../fold-text.ts';
import type { AuthorPick, NormalizedItem } from '../model.ts';

/**
 * Where a byline names several people or adds a role: "A, B and C", "A & B", "A; B", "A und B",
 * "A et B", "A y B", "A - Staff Writer", "A — The Times", "A (Reuters)". No quantifier: linear
 * on any input (the parts are trimmed when folded).
 */
const BYLINE_SEPARATORS = /[,;&/|+()[\]]|\s[-–—]\s|\s(?:and|und|et|y|e|with)\s/iu;
/** A byline longer than this names nobody a columnist is called; only its start is read. */
const MAX_BYLINE = 300;
/** The "By" a byline may start with, in the site's languages. */
const BY = /^(?:by|von|par|por|de|di)\s+/u;

/** The folded names a byline holds: the whole byline, and each person it lists. */
export function bylineNames(author: string | null): string[] {
  if (author === null) return [];
  const names = new Set<string>();
  const byline = author.slice(0, MAX_BYLINE);
  for (const part of [byline, ...byline.split(BYLINE_SEPARATORS)]) {
    const folded = foldText(part);
    if (folded === null) continue;
    names.add(folded);
    names.add(folded.replace(BY, ''));
    // "Opinion by Jane Doe", "A column by Jane Doe": the name after the last "by".
    const by = folded.lastIndexOf(' by ');
    if (by !== -1) names.add(folded.slice(by + 4));
  }
  return [...names];
}

/**
 * How a picking feed keeps `item`: `signed` by a picking columnist, as `unsigned` (no byline, or
 * only the feed's own author, such as an outlet's "Opinion desk" standing in for entries that name
 * nobody, when a picking columnist claims the feed's unsigned stories), or not at all (null).
 */
function keptAs(item: Pick<NormalizedItem, 'author' | 'authorFromFeed'>, pick: AuthorPick): 'signed' | 'unsigned' | null {
  const names = bylineNames(item.author);
  if (names.some((name) => pick.authorKeys.includes(name))) return 'signed';
  return (names.length === 0 || item.authorFromFeed === true) && pick.keepUnsigned ? 'unsigned' : null;
}

/** Whether a picking feed keeps `item`. */
export function isPicked(item: Pick<NormalizedItem, 'author' | 'authorFromFeed'>, pick: AuthorPick): boolean {
  return keptAs(item, pick) !== null;
}

/**
 * The items of a picking feed it keeps (and their indexes in `items`), and how many it left out; every item when `pick` is
 * null. An item kept as unsigned though it carries the feed's own author is stored unsigned
 * (author null), so it is the claiming columnist's, as the feed's other unsigned stories are.
 */
export function pickItems<T extends Pick<NormalizedItem, 'author' | 'authorFromFeed' | 'authorKey'>>(
  items: T[],
  pick: AuthorPick | null | undefined,
): { items: T[]; leftOut: number; keptIndexes: number[] } {
  if (!pick) return { items, leftOut: 0, keptIndexes: items.map((_, index) => index) };
  const kept: T[] = [];
  const keptIndexes: number[] = [];
  items.forEach((item, index) => {
    const as = keptAs(item, pick);
    if (as === null) return;
    kept.push(as === 'unsigned' && item.author !== null ? unsigned(item) : item);
    keptIndexes.push(index);
  });
  return { items: kept, leftOut: items.length - kept.length, keptIndexes };
}

function unsigned<T extends Pick<NormalizedItem, 'author' | 'authorFromFeed' | 'authorKey'>>(item: T): T {
  const { authorFromFeed: _inherited, ...rest } = item;
  return { ...rest, author: null, authorKey: null } as T;
}

/** One signature per pick, stored with the feed: a change means items once left out may be wanted now. */
export function pickSignature(pick: AuthorPick | null | undefined): string | null {
  return pick ? JSON.stringify({ authors: [...pick.authorKeys].sort(), unsigned: pick.keepUnsigned }) : null;
}
