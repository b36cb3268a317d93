/**
 * The end-of-run checks of the fault-injection suite, read from the service's SQLite file
 * (read-only) against what the feed and SMTP servers recorded. Each returns counts for the
 * summary and a list of problems, empty when all is well.
 *
 * "Published" is defined from the server's side: the items listed by every version of a feed
 * that the service acknowledged (by sending its ETag back, or holding it as the feed's stored
 * ETag at the end). A feed listing every item it ever published has all of them there after the
 * calm phase's final poll; a feed listing only its latest N can lose items that scrolled out
 * before any complete document carrying them was stored, and those are not counted.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { AcceptedCopy } from './fault-smtp.ts';
import { versionOfEtag, windowOf, type FeedModel } from './feed-model.ts';

export interface StoryReport {
  integrity: string;
  published: number;
  acknowledged: number;
  stored: number;
  sources: number;
  duplicates: number;
  missing: number;
  unexpected: number;
  turned: number;
  /** The feeds that turned into redirects to private addresses: their stored URL and stories kept. */
  turnedFeeds: Array<{ id: string; url: string; stories: number }>;
  problems: string[];
}

export interface DigestReport {
  runs: number;
  runStories: number;
  deliveries: number;
  sent: number;
  failed: number;
  pending: number;
  copies: number;
  missingCopies: number;
  duplicateCopies: number;
  strayCopies: number;
  problems: string[];
}

/** Opens the database read-only for the checks. */
export function openReadOnly(path: string): BetterSqlite3.Database {
  return new BetterSqlite3(path, { readonly: true, fileMustExist: true });
}

/** The stories against what the feeds published and served; `alsoPublished` admits links of feeds outside the model. */
export function checkStories(
  db: BetterSqlite3.Database,
  feeds: readonly FeedModel[],
  alsoPublished: (link: string) => boolean = () => false,
): StoryReport {
  const problems: string[] = [];
  const integrity = String(db.pragma('integrity_check', { simple: true }));
  if (integrity !== 'ok') problems.push(`PRAGMA integrity_check: ${integrity}`);
  const foreignKeys = db.pragma('foreign_key_check') as unknown[];
  if (foreignKeys.length > 0) problems.push(`PRAGMA foreign_key_check: ${JSON.stringify(foreignKeys.slice(0, 5))}`);

  const stories = db.prepare('SELECT id, link FROM stories').all() as Array<{ id: number; link: string | null }>;
  const sources = db.prepare('SELECT story_id, feed_id FROM story_sources').all() as Array<{ story_id: number; feed_id: string }>;
  const feedRows = new Map(
    (
      db.prepare('SELECT id, url, etag, last_error FROM feeds').all() as Array<{
        id: string;
        url: string;
        etag: string | null;
        last_error: string | null;
      }>
    ).map((row) => [row.id, row]),
  );

  const publishedLinks = new Set(feeds.flatMap((feed) => feed.items.map((item) => item.link)));
  const storiesByLink = new Map<string, number[]>();
  const linkOf = new Map<number, string>();
  for (const story of stories) {
    const link = story.link ?? `(no link: story ${story.id})`;
    linkOf.set(story.id, link);
    storiesByLink.set(link, [...(storiesByLink.get(link) ?? []), story.id]);
    if (!publishedLinks.has(link) && !alsoPublished(link)) problems.push(`story ${story.id} (${link}) was never published by any feed`);
  }
  let duplicates = 0;
  for (const [link, ids] of storiesByLink) {
    if (ids.length < 2) continue;
    duplicates += ids.length - 1;
    problems.push(`stored ${ids.length} times: ${link} (stories ${ids.join(', ')})`);
  }
  const storedByFeed = new Map<string, Set<string>>();
  for (const source of sources) {
    const set = storedByFeed.get(source.feed_id) ?? new Set<string>();
    set.add(linkOf.get(source.story_id) ?? `(story ${source.story_id} without a row)`);
    storedByFeed.set(source.feed_id, set);
  }

  const required = new Set<string>();
  let missing = 0;
  let unexpected = 0;
  let turned = 0;
  const turnedFeeds: StoryReport['turnedFeeds'] = [];
  for (const feed of feeds) {
    const row = feedRows.get(feed.id);
    const finalVersion = versionOfEtag(feed, row?.etag);
    const acked = new Set(feed.acked);
    if (finalVersion !== null) acked.add(finalVersion);
    const need = new Set([...acked].flatMap((version) => windowOf(feed, version).map((item) => item.link)));
    const stored = storedByFeed.get(feed.id) ?? new Set<string>();
    for (const link of need) {
      required.add(link);
      if (stored.has(link)) continue;
      missing++;
      problems.push(`${feed.id}: published ${link} (in an acknowledged version) but it is not stored for this feed`);
    }
    if (feed.windowSize === null && !feed.turned) {
      // Lists every item it ever published: after the calm poll, all of them, whatever was acknowledged on the way.
      const lost = feed.items.filter((item) => !stored.has(item.link));
      if (lost.length > 0)
        problems.push(`${feed.id}: ${lost.length} of its ${feed.items.length} items are not stored (e.g. ${lost[0]!.link})`);
    }
    for (const link of stored) {
      if (feed.served.has(link)) continue;
      unexpected++;
      problems.push(`${feed.id}: has ${link} as a source though no complete response ever carried it`);
    }
    if (feed.turned) {
      turned++;
      turnedFeeds.push({ id: feed.id, url: row?.url ?? '', stories: stored.size });
      if (!/refused (10\.0\.0\.1|169\.254\.169\.254|127\.0\.0\.2|192\.168\.0\.1)/.test(row?.last_error ?? '')) {
        problems.push(`${feed.id} redirects to private addresses, but its last error is ${JSON.stringify(row?.last_error)}`);
      }
    } else if (row?.last_error) {
      problems.push(`${feed.id} still fails after the calm phase: ${row.last_error}`);
    }
  }
  return {
    integrity,
    published: publishedLinks.size,
    acknowledged: required.size,
    stored: stories.length,
    sources: sources.length,
    duplicates,
    missing,
    unexpected,
    turned,
    turnedFeeds,
    problems,
  };
}

/** The digest runs against the copies the SMTP server accepted; every run is for all of `recipients`. */
export function checkDigests(db: BetterSqlite3.Database, accepted: readonly AcceptedCopy[], recipients: readonly string[]): DigestReport {
  const problems: string[] = [];
  const runs = db
    .prepare('SELECT id, from_story_id, to_story_id, story_ids, subject, status, created_at FROM digest_runs ORDER BY id')
    .all() as Array<{
    id: number;
    created_at: number;
    from_story_id: number;
    to_story_id: number;
    story_ids: string;
    subject: string;
    status: string;
  }>;
  const deliveries = db.prepare('SELECT run_id, address, status, message_id, last_error FROM digest_deliveries').all() as Array<{
    run_id: number;
    address: string;
    status: string;
    message_id: string;
    last_error: string | null;
  }>;
  const subjects = new Map(runs.map((run) => [run.id, run.subject]));
  // An address refused as unknown mail.bounceThreshold times in a row bounces: runs created after that leave it out.
  const bouncing = db.prepare('SELECT address, bouncing_since FROM bounces WHERE bouncing_since IS NOT NULL').all() as Array<{
    address: string;
    bouncing_since: number;
  }>;
  const recipientsOf = (run: { created_at: number }) =>
    recipients.filter((address) => !bouncing.some((bounce) => bounce.address === address && bounce.bouncing_since <= run.created_at));

  // The runs' story ranges chain, so together they cover every story exactly once.
  let previousTo = 0;
  const covered: number[] = [];
  for (const run of runs) {
    if (run.status !== 'done') problems.push(`digest run ${run.id} is still ${run.status}`);
    if (run.from_story_id !== previousTo)
      problems.push(`digest run ${run.id} starts after story ${run.from_story_id}, the run before ended at ${previousTo}`);
    previousTo = run.to_story_id;
    const addresses = deliveries
      .filter((delivery) => delivery.run_id === run.id)
      .map((delivery) => delivery.address)
      .sort();
    const expected = recipientsOf(run);
    if (addresses.join() !== [...expected].sort().join())
      problems.push(`digest run ${run.id} has deliveries for ${addresses.length} of the ${expected.length} recipients not bouncing`);
    covered.push(...(JSON.parse(run.story_ids) as number[]));
  }
  const storyIds = (db.prepare('SELECT id FROM stories ORDER BY id').all() as Array<{ id: number }>).map((row) => row.id);
  const coveredSet = new Set(covered);
  if (coveredSet.size !== covered.length) problems.push(`${covered.length - coveredSet.size} stories are in more than one digest run`);
  const uncovered = storyIds.filter((id) => !coveredSet.has(id));
  if (uncovered.length > 0) problems.push(`${uncovered.length} stories are in no digest run (e.g. ${uncovered.slice(0, 5).join(', ')})`);

  const copies = new Map<string, AcceptedCopy[]>();
  for (const copy of accepted) copies.set(`${copy.messageId} ${copy.to}`, [...(copies.get(`${copy.messageId} ${copy.to}`) ?? []), copy]);
  const known = new Set<string>();
  let missingCopies = 0;
  let duplicateCopies = 0;
  for (const delivery of deliveries) {
    const key = `${delivery.message_id} ${delivery.address}`;
    known.add(key);
    const got = copies.get(key) ?? [];
    if (delivery.status === 'sent') {
      if (got.length === 0) {
        missingCopies++;
        problems.push(`run ${delivery.run_id}: ${delivery.address} is recorded as sent but the server accepted no copy`);
      } else if (got.length > 1) {
        duplicateCopies += got.length - 1;
        problems.push(
          `run ${delivery.run_id}: ${delivery.address} got ${got.length} copies (generations ${got.map((copy) => copy.generation).join(', ')})`,
        );
      }
      for (const copy of got)
        if (copy.subject !== subjects.get(delivery.run_id))
          problems.push(`run ${delivery.run_id}: ${delivery.address} got subject ${JSON.stringify(copy.subject)}`);
    } else if (delivery.status === 'failed') {
      if (got.length > 0) problems.push(`run ${delivery.run_id}: ${delivery.address} is recorded as failed but got ${got.length} copies`);
      // Refused for good (5xx), or not tried because the address bounced since the run was planned.
      if (!/\b5\d\d\b|^the address bounces/.test(delivery.last_error ?? ''))
        problems.push(`run ${delivery.run_id}: ${delivery.address} failed without a permanent (5xx) refusal: ${delivery.last_error}`);
    } else {
      problems.push(`run ${delivery.run_id}: ${delivery.address} is still ${delivery.status} (${delivery.last_error})`);
    }
  }
  const stray = accepted.filter((copy) => !known.has(`${copy.messageId} ${copy.to}`));
  for (const copy of stray.slice(0, 5)) problems.push(`the server accepted ${copy.messageId} for ${copy.to}, which no delivery records`);
  const count = (status: string) => deliveries.filter((delivery) => delivery.status === status).length;
  return {
    runs: runs.length,
    runStories: covered.length,
    deliveries: deliveries.length,
    sent: count('sent'),
    failed: count('failed'),
    pending: count('pending'),
    copies: accepted.length,
    missingCopies,
    duplicateCopies,
    strayCopies: stray.length,
    problems,
  };
}
