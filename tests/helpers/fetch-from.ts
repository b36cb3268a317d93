/** fetchFeed as the fetch tests call it, and a narrowing of its result. */
import { expect } from 'vitest';
import { fetchFeed, type FetchRequest, type FetchResult } from '../../src/feeds/fetch-feed.ts';

/** fetchFeed with test-friendly limits; the local server is a private address, so it is allowed unless told. */
export const fetchFrom = (url: string, overrides: Partial<FetchRequest> = {}): Promise<FetchResult> =>
  fetchFeed({ url, timeoutMs: 10_000, maxBytes: 1024 * 1024, allowPrivateAddresses: true, ...overrides });

/** Narrows a result to one kind, failing the test with the whole result otherwise. */
export function expectKind<K extends FetchResult['kind']>(result: FetchResult, kind: K): Extract<FetchResult, { kind: K }> {
  expect(result, JSON.stringify(result)).toMatchObject({ kind });
  return result as Extract<FetchResult, { kind: K }>;
}
