/**
 * Pages of search hits kept with the ranking they were cut from (search-rankings.ts): the same
 * page of the same search again (a reader coming back to it, a popular query) reads its stories
 * and makes their snippets once, about nine tenths of what a search whose ranking is kept costs.
 * A page is kept while its ranking is (an object key: a ranking read again starts afresh) and
 * only under the `version` it was read at, which every change of what a result shows moves.
 * Pure: no I/O.
 */
import type { SearchHit } from './store.ts';

/** Pages kept per ranking: a reader paging through a search, not a crawler through all 50. */
const PAGES_PER_RANKING = 8;

export interface SearchPages {
  /** The hits of `ranking` from `offset`, `limit` of them, read at `version`; undefined when not kept. */
  get(ranking: readonly number[], offset: number, limit: number, version: string): readonly SearchHit[] | undefined;
  /** Keeps them. */
  set(ranking: readonly number[], offset: number, limit: number, version: string, hits: readonly SearchHit[]): void;
}

export function createSearchPages(): SearchPages {
  const pages = new WeakMap<readonly number[], Map<string, readonly SearchHit[]>>();
  const key = (offset: number, limit: number, version: string) => `${offset}:${limit}:${version}`;
  return {
    get: (ranking, offset, limit, version) => pages.get(ranking)?.get(key(offset, limit, version)),
    set(ranking, offset, limit, version, hits) {
      let kept = pages.get(ranking);
      if (!kept) pages.set(ranking, (kept = new Map<string, readonly SearchHit[]>()));
      kept.set(key(offset, limit, version), hits);
      while (kept.size > PAGES_PER_RANKING) kept.delete(kept.keys().next().value!);
    },
  };
}
