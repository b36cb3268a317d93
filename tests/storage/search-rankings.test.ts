import { describe, expect, it } from 'vitest';
import { createSearchRankings, mergeRankings, newestOfRankings, RANKING_REUSE_MS } from '../../src/storage/search-rankings.ts';

describe('search rankings kept for the next page', () => {
  it('gives a ranking back only at the same generation and within the reuse window', () => {
    const rankings = createSearchRankings();
    rankings.set('"budget"', '7', 1_000_000, [3, 1, 2]);
    expect(rankings.get('"budget"', '7', 1_000_000)).toEqual([3, 1, 2]);
    expect(rankings.get('"budget"', '7', 1_000_000 + RANKING_REUSE_MS)).toEqual([3, 1, 2]);
    expect(rankings.get('"rates"', '7', 1_000_000)).toBeUndefined();
    expect(rankings.get('"budget"', '8', 1_000_000)).toBeUndefined();
    // A miss drops the stale ranking: the old generation does not come back.
    expect(rankings.get('"budget"', '7', 1_000_000)).toBeUndefined();
    rankings.set('"budget"', '8', 1_000_000, [4]);
    expect(rankings.get('"budget"', '8', 1_000_000 + RANKING_REUSE_MS + 1)).toBeUndefined();
    rankings.set('"budget"', '8', 1_000_000, [4]);
    // A clock set back is as far as one gone forward.
    expect(rankings.get('"budget"', '8', 1_000_000 - RANKING_REUSE_MS - 1)).toBeUndefined();
  });

  it('keeps the most recently used rankings, up to its size', () => {
    const rankings = createSearchRankings(2);
    rankings.set('a', '1', 0, [1]);
    rankings.set('b', '1', 0, [2]);
    expect(rankings.get('a', '1', 0)).toEqual([1]); // a is now the most recent
    rankings.set('c', '1', 0, [3]);
    expect(rankings.get('b', '1', 0)).toBeUndefined();
    expect(rankings.get('a', '1', 0)).toEqual([1]);
    expect(rankings.get('c', '1', 0)).toEqual([3]);
  });

  it('merges two rankings best first (lower rank, then the newer id), up to a limit', () => {
    const first = [
      { id: 9, rank: -5 },
      { id: 8, rank: -2 },
      { id: 7, rank: -1 },
    ];
    const second = [
      { id: 3, rank: -4 },
      { id: 4, rank: -2 },
      { id: 2, rank: 0 },
    ];
    expect(mergeRankings(first, second, 10)).toEqual([9, 3, 8, 4, 7, 2]);
    expect(mergeRankings(first, second, 4)).toEqual([9, 3, 8, 4]);
    expect(mergeRankings([], second, 2)).toEqual([3, 4]);
    expect(mergeRankings(first, [], 10)).toEqual([9, 8, 7]);
  });

  it('joins rankings of different scales: each story once at its best rank, the newest kept whatever their ranks', () => {
    const first = [
      { id: 5, rank: -9 },
      { id: 7, rank: -1 },
    ];
    const second = [
      { id: 7, rank: -3 },
      { id: 6, rank: -2 },
      { id: 1, rank: -100 },
    ];
    expect(newestOfRankings([first, second], 10)).toEqual([
      { id: 1, rank: -100 },
      { id: 5, rank: -9 },
      { id: 7, rank: -3 },
      { id: 6, rank: -2 },
    ]);
    // Three kept: the newest three (7, 6, 5), not the best-ranked three.
    expect(newestOfRankings([first, second], 3).map((row) => row.id)).toEqual([5, 7, 6]);
  });
});
