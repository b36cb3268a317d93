/** Subscribers as data in PostgreSQL: the rules of sqlite/subscriber-store.ts, an import's batch in one statement. */
import { ALL_DIGESTS, type AddedSubscribers, type Subscriber } from '../store.ts';
import type { PostgresDatabase } from './database.ts';

interface SubscriberRow {
  digest_id: string;
  address: string;
  name: string | null;
  added_at: number;
}

// Subscribers of the digest $1 ($2 is ALL_DIGESTS) who get it: not unsubscribed from it nor from
// every digest (its own row decides when there is one), not paused, not bouncing.
const RECEIVING = `
  SELECT s.address, s.name FROM subscribers s
  LEFT JOIN subscriptions own ON own.address = s.address AND own.digest_id = $1
  LEFT JOIN subscriptions every ON every.address = s.address AND every.digest_id = $2
  WHERE s.digest_id = $1 AND coalesce(own.state, every.state, 'subscribed') = 'subscribed' AND s.paused = 0
    AND NOT EXISTS (SELECT 1 FROM bounces b WHERE b.address = s.address AND b.bouncing_since IS NOT NULL)
  ORDER BY s.address`;

// A page of RECEIVING (the two must agree: the contract tests compare them): the next $4 subscribers after $3 by the primary key, each with whether it
// gets the digest, looked up row by row (a scalar subquery is never made a join). Asked as RECEIVING
// with LIMIT, PostgreSQL guesses few rows pass (a coalesce() comparison is estimated at 0.5%) and
// sorts every row after $3 for each page; with joins here, it hashes all of subscriptions for each
// page. Both took minutes for a million subscribers; this way a page costs its $4 rows.
const CANDIDATES = `
  SELECT s.address, s.name,
    coalesce(
      (SELECT state FROM subscriptions u WHERE u.address = s.address AND u.digest_id = $1),
      (SELECT state FROM subscriptions u WHERE u.address = s.address AND u.digest_id = $2),
      'subscribed'
    ) = 'subscribed' AND s.paused = 0
      AND (SELECT b.bouncing_since FROM bounces b WHERE b.address = s.address) IS NULL AS receiving
  FROM subscribers s WHERE s.digest_id = $1 AND s.address > $3 ORDER BY s.address LIMIT $4`;

/** The subscriber store over a PostgreSQL database. */
export function createPostgresSubscriberStore(db: PostgresDatabase) {
  return {
    /** Subscribes addresses to `digestId` in one transaction (call with batches of a large import). */
    async add(
      digestId: string,
      subscribers: ReadonlyArray<{ address: string; name?: string | null }>,
      at: Date,
    ): Promise<AddedSubscribers> {
      // The last of a repeated address wins, as it does in SQLite's loop.
      const byAddress = new Map(subscribers.map(({ address, name }) => [address.toLowerCase(), name]));
      const named = [...byAddress].filter((entry): entry is [string, string | null] => entry[1] !== undefined);
      // Given no name, a known address keeps its own: those rows are only added.
      const unnamed = [...byAddress.keys()].filter((address) => byAddress.get(address) === undefined);
      const rows = await db.transaction(async (tx) => [
        ...(named.length === 0
          ? []
          : await tx.query<{ outcome: 'added' | 'renamed' }>(
              `
              INSERT INTO subscribers AS s (digest_id, address, name, added_at)
              SELECT $1, address, name, $4 FROM unnest($2::text[], $3::text[]) AS t (address, name)
              ON CONFLICT (digest_id, address) DO UPDATE SET name = excluded.name WHERE s.name IS DISTINCT FROM excluded.name
              RETURNING CASE WHEN xmax = 0 THEN 'added' ELSE 'renamed' END AS outcome`,
              [digestId, named.map(([address]) => address), named.map(([, name]) => name), at.getTime()],
            )),
        ...(unnamed.length === 0
          ? []
          : await tx.query<{ outcome: 'added' }>(
              `INSERT INTO subscribers (digest_id, address, name, added_at) SELECT $1, address, NULL, $3 FROM unnest($2::text[]) AS t (address)
               ON CONFLICT (digest_id, address) DO NOTHING RETURNING 'added' AS outcome`,
              [digestId, unnamed, at.getTime()],
            )),
      ]);
      const added = rows.filter((row) => row.outcome === 'added').length;
      const renamed = rows.length - added;
      return { added, renamed, unchanged: subscribers.length - added - renamed };
    },

    /** Removes `address` from one digest's subscribers (every digest's when null). */
    remove: (address: string, digestId: string | null): Promise<number> =>
      digestId === null
        ? db.run(`DELETE FROM subscribers WHERE address = $1`, [address.toLowerCase()])
        : db.run(`DELETE FROM subscribers WHERE digest_id = $1 AND address = $2`, [digestId, address.toLowerCase()]),

    /** A page of subscribers, by digest then address. */
    async list(digestId: string | null, page: { limit: number; after?: { digestId: string; address: string } }): Promise<Subscriber[]> {
      const after = page.after ?? { digestId: '', address: '' };
      const rows =
        digestId === null
          ? await db.query<SubscriberRow>(
              `SELECT * FROM subscribers WHERE (digest_id, address) > ($1, $2) ORDER BY digest_id, address LIMIT $3`,
              [after.digestId, after.address, page.limit],
            )
          : await db.query<SubscriberRow>(`SELECT * FROM subscribers WHERE digest_id = $1 AND address > $2 ORDER BY address LIMIT $3`, [
              digestId,
              page.after?.digestId === digestId ? after.address : '',
              page.limit,
            ]);
      return rows.map((row) => ({ digestId: row.digest_id, address: row.address, name: row.name, addedAt: new Date(row.added_at) }));
    },

    /** Subscribers per digest. */
    count: async (): Promise<Map<string, number>> =>
      new Map(
        (
          await db.query<{ digest_id: string; n: number }>(`SELECT digest_id, count(*)::bigint AS n FROM subscribers GROUP BY digest_id`)
        ).map((row) => [row.digest_id, row.n]),
      ),

    /** Subscribers of `digestId` not unsubscribed from it nor from every digest, not paused, not bouncing. */
    receiving: (digestId: string): Promise<Array<{ address: string; name: string | null }>> =>
      db.query<{ address: string; name: string | null }>(RECEIVING, [digestId, ALL_DIGESTS]),

    /** A page of `receiving`: `limit` rows after the address `after` (fewer only at the end). */
    receivingPage: (digestId: string, page: { limit: number; after?: string }): Promise<Array<{ address: string; name: string | null }>> =>
      db.transaction(async (tx) => {
        // The subqueries' estimate passes jit_above_cost at a few thousand rows: compiling the plan
        // (about 20 ms, every page) took longer than reading the page.
        await tx.run('SET LOCAL jit = off');
        const rows: Array<{ address: string; name: string | null }> = [];
        for (let after = page.after ?? ''; ;) {
          const candidates = await tx.query<{ address: string; name: string | null; receiving: boolean }>(CANDIDATES, [
            digestId,
            ALL_DIGESTS,
            after,
            page.limit,
          ]);
          for (const { address, name, receiving } of candidates) {
            if (!receiving) continue;
            rows.push({ address, name });
            if (rows.length === page.limit) return rows;
          }
          if (candidates.length < page.limit) return rows;
          after = candidates.at(-1)!.address;
        }
      }),
  };
}
