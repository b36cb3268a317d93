/**
 * Who wrote a story and where it appeared, as words of the search index: a token for its
 * author key, one for its feed when it is unsigned, one for each feed that carried it. These
 * never change with the config, so renaming an outlet or giving a columnist an alias indexes
 * nothing again: the site turns a searched word that names an outlet or a columnist (by name or
 * alias, as site/directory.ts reads the config now) into these tokens as alternatives
 * (search-query.ts). PostgreSQL's trigger makes the same tokens with its own md5 (schema 21).
 * Pure.
 */
import { createHash } from 'node:crypto';

/** Hex digits of md5 kept: a collision only finds one more story. */
const HASH_CHARS = 12;

const token = (prefix: string, value: string): string =>
  prefix + createHash('md5').update(value, 'utf8').digest('hex').slice(0, HASH_CHARS);

/** How every token begins: a query word beginning so is kept from the tokens (search-query.ts). */
export const TOKEN_START = 'zq';

/** The token of stories whose folded byline is `authorKey`. */
export const authorToken = (authorKey: string): string => token(`${TOKEN_START}a`, authorKey);

/** The token of a feed's unsigned stories (those whose first feed it is). */
export const unsignedToken = (feedId: string): string => token(`${TOKEN_START}u`, feedId);

/** The token of the stories a feed carried. */
export const feedToken = (feedId: string): string => token(`${TOKEN_START}f`, feedId);

/** The tokens a story is indexed with, space-separated. */
export function storyTokens(authorKey: string | null, feedId: string, sourceFeedIds: readonly string[]): string {
  const tokens = [authorKey ? authorToken(authorKey) : unsignedToken(feedId)];
  for (const id of new Set([feedId, ...sourceFeedIds])) tokens.push(feedToken(id));
  return tokens.join(' ');
}

/** The SQL (PostgreSQL) of the same tokens, over a story row `story` and a text[] of its source feeds `sources`. */
export function storyTokensSql(story: string, sources: string): string {
  // md5 of the UTF-8 bytes, as in JavaScript, whatever the database's encoding.
  const hash = (value: string) => `left(md5(convert_to(${value}, 'UTF8')), ${HASH_CHARS})`;
  return `CASE WHEN coalesce(${story}.author_key, '') <> '' THEN '${TOKEN_START}a' || ${hash(`${story}.author_key`)} ELSE '${TOKEN_START}u' || ${hash(`${story}.feed_id`)} END
    || (SELECT coalesce(string_agg(' ${TOKEN_START}f' || ${hash('feed')}, ''), '') FROM (SELECT DISTINCT unnest(array_append(${sources}, ${story}.feed_id)) AS feed) AS carried)`;
}
