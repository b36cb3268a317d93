/**
 * `subscribers export`'s CSV, a page of subscribers at a time: the digest's subscribers who get
 * it now (Store.digestSubscribers' rows, read through listDigestSubscribers), so a million of
 * them never sit in memory at once. Reads only.
 */
import type { Store } from '../storage/store.ts';
import { formatSubscriberCsv } from './subscriber-csv.ts';

/** Subscribers read per page: about 150 KB of CSV, one query each. */
export const EXPORT_PAGE = 5_000;

/** The CSV text formatSubscriberCsv makes of the digest's subscribers, in chunks: the header, then one per page. */
export async function* exportSubscriberCsv(
  store: Pick<Store, 'listDigestSubscribers'>,
  digestId: string,
  pageSize = EXPORT_PAGE,
): AsyncGenerator<string> {
  yield formatSubscriberCsv([]);
  let after: string | undefined;
  for (;;) {
    const page = await store.listDigestSubscribers(digestId, { limit: pageSize, ...(after === undefined ? {} : { after }) });
    if (page.length > 0) yield formatSubscriberCsv(page, false);
    if (page.length < pageSize) return;
    after = page.at(-1)!.address;
  }
}
