/**
 * Digest messages by digest and status for the stats (/metrics, `columnwire stats`), from the
 * counts each finished run keeps (schema 26, JSON text such as {"sent": 3, "failed": 1}) and
 * the deliveries of the runs still open, counted: the same figures as counting every delivery.
 */
import type { ServiceStats } from './store.ts';

type DigestMessages = ServiceStats['digestMessages'];

/** A finished run's kept counts (counts: JSON text), or an open run's deliveries of one status, counted. */
export interface DigestCountRow {
  digestId: string;
  counts: string | null;
  status: string | null;
  count: number;
}

/** The sum of the finished runs' counts and the open runs' counted deliveries, by digest then status (zeros left out). */
export function sumDigestMessages(rows: readonly DigestCountRow[]): DigestMessages {
  const sums = new Map<string, Map<string, number>>();
  const add = (digestId: string, status: string, count: number) => {
    const byStatus = sums.get(digestId) ?? new Map<string, number>();
    sums.set(digestId, byStatus.set(status, (byStatus.get(status) ?? 0) + Number(count)));
  };
  for (const row of rows) {
    if (row.counts !== null)
      for (const [status, count] of Object.entries(JSON.parse(row.counts) as Record<string, number>)) add(row.digestId, status, count);
    else if (row.status !== null) add(row.digestId, row.status, row.count);
  }
  const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...sums.keys()].sort(byKey).flatMap((digestId) =>
    [...sums.get(digestId)!]
      .filter(([, count]) => count > 0)
      .sort(([a], [b]) => byKey(a, b))
      .map(([status, count]) => ({ digestId, status, count })),
  );
}
