import { describe, expect, it } from 'vitest';
import { createSearchRankings, RANKING_REUSE_MS } from '../../src/storage/search-rankings.ts';

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
});
