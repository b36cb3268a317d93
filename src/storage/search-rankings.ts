/**
 * Rankings of recent searches, kept so that the next page of a search, or the same search
 * again, does not rank its 2,000 candidates again (ranking is nearly all of a search's cost:
 * bm25 or ts_rank, which read every match of a common word). A ranking is the ordered list of
 * story ids of one query. It is reused only while the store's search index is the one it was
 * read from (the caller's `generation`, which every change to the index moves) and for
 * RANKING_REUSE_MS at most, since relevance fades with age counted from the search's moment.
 * Least recently used rankings leave first. Also how rankings read apart are joined. Pure: no I/O.
 */

/** How long a ranking stands in for a new one: ages shift by this much at most (relevance halves over 30 days). */
export const RANKING_REUSE_MS = 60_000;
/** Rankings kept (each up to twice SEARCH_CANDIDATES ids, the older columns a name brings included: 32 KB). */
const RANKINGS_KEPT = 64;

/** A story ranked: lower `rank` first, ties the higher (newer) id first. */
export interface RankedId {
  id: number;
  rank: number;
}

/** Orders ranked stories best first. */
export const byRank = (a: RankedId, b: RankedId): number => a.rank - b.rank || b.id - a.id;

/** Two rankings of different stories, each best first, as one: best first, at most `limit` ids. */
export function mergeRankings(first: readonly RankedId[], second: readonly RankedId[], limit: number): number[] {
  const before = (a: RankedId, b: RankedId) => byRank(a, b) < 0;
  const merged: number[] = [];
  let i = 0;
  let j = 0;
  while (merged.length < limit && (i < first.length || j < second.length)) {
    const takeFirst = j >= second.length || (i < first.length && before(first[i]!, second[j]!));
    merged.push(takeFirst ? first[i++]!.id : second[j++]!.id);
  }
  return merged;
}

export interface SearchRankings {
  /** The ranking of `key` read at `generation` within RANKING_REUSE_MS of `now`, or undefined. */
  get(key: string, generation: string, now: number): readonly number[] | undefined;
  /** Keeps the ranking of `key` read at `generation` at `now`. */
  set(key: string, generation: string, now: number, ids: readonly number[]): void;
}

interface Ranking {
  generation: string;
  at: number;
  ids: readonly number[];
}

/** An empty set of rankings holding at most `kept`. */
export function createSearchRankings(kept = RANKINGS_KEPT): SearchRankings {
  const rankings = new Map<string, Ranking>();
  return {
    get(key, generation, now) {
      const ranking = rankings.get(key);
      if (!ranking) return undefined;
      rankings.delete(key);
      if (ranking.generation !== generation || Math.abs(now - ranking.at) > RANKING_REUSE_MS) return undefined;
      rankings.set(key, ranking); // most recently used last
      return ranking.ids;
    },
    set(key, generation, now, ids) {
      rankings.delete(key);
      rankings.set(key, { generation, at: now, ids });
      while (rankings.size > kept) rankings.delete(rankings.keys().next().value!);
    },
  };
}

/**
 * Rankings of the same search read different ways (of different scales) as one: each story
 * once, at its best rank; the `limit` newest (highest ids) kept, whatever their ranks; best first.
 */
export function newestOfRankings(rankings: ReadonlyArray<readonly RankedId[]>, limit: number): RankedId[] {
  const best = new Map<number, RankedId>();
  for (const ranking of rankings) {
    for (const row of ranking) {
      const seen = best.get(row.id);
      if (!seen || row.rank < seen.rank) best.set(row.id, row);
    }
  }
  return [...best.values()]
    .sort((a, b) => b.id - a.id)
    .slice(0, limit)
    .sort(byRank);
}

/**
 * A search's ranking with the older columns a name brings (the stores' headline variants, each
 * ranked apart): every one of `newest`, and the `limit` newest of `older` merged in by rank.
 */
export function withOlderRankings(newest: readonly RankedId[], older: ReadonlyArray<readonly RankedId[]>, limit: number): number[] {
  const kept = newestOfRankings(older, limit);
  return mergeRankings(newest, kept, newest.length + kept.length);
}
