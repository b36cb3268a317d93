/** What changed between two configs, for the reload log line and for deciding what to reschedule. Pure. */
import { pickSignature } from '../feeds/pick-authors.ts';
import type { Config } from './load.ts';

export interface ConfigChanges {
  feedsAdded: string[];
  feedsRemoved: string[];
  /** Feeds whose url, title, outlet or tags changed. */
  feedsChanged: string[];
  /**
   * Feeds a reload fetches at once: the added ones, those whose URL changed, and those whose
   * picked columnists changed (items left out before may be wanted now); a new title or tag needs no fetch.
   */
  feedsToFetch: string[];
  pollScheduleChanged: boolean;
  /** Digests added, removed or changed in any setting. */
  digestsChanged: string[];
  /** Settings read only at start; they apply after a restart. */
  needsRestart: string[];
}

/** Compares the running config with the new one. */
export function diffConfig(before: Config, after: Config): ConfigChanges {
  const oldFeeds = new Map(before.feeds.map((feed) => [feed.id, JSON.stringify(feed)]));
  const newFeeds = new Map(after.feeds.map((feed) => [feed.id, JSON.stringify(feed)]));
  const oldUrls = new Map(before.feeds.map((feed) => [feed.id, feed.url]));
  const oldPicks = new Map(before.feeds.map((feed) => [feed.id, pickSignature(feed.pick)]));
  const oldDigests = new Map(before.digests.map((digest) => [digest.id, JSON.stringify(digest)]));
  const newDigests = new Map(after.digests.map((digest) => [digest.id, JSON.stringify(digest)]));
  const digestIds = new Set([...oldDigests.keys(), ...newDigests.keys()]);
  const needsRestart: string[] = [];
  if (before.server.host !== after.server.host) needsRestart.push('server.host');
  if (before.server.port !== after.server.port) needsRestart.push('server.port');
  // The mail transport (and its From) is made once; a new sender needs a new one.
  if (before.mail.from !== after.mail.from) needsRestart.push('mail.from');
  return {
    feedsAdded: [...newFeeds.keys()].filter((id) => !oldFeeds.has(id)),
    feedsRemoved: [...oldFeeds.keys()].filter((id) => !newFeeds.has(id)),
    feedsChanged: [...newFeeds.keys()].filter((id) => oldFeeds.has(id) && oldFeeds.get(id) !== newFeeds.get(id)),
    feedsToFetch: after.feeds
      .filter((feed) => oldUrls.get(feed.id) !== feed.url || oldPicks.get(feed.id) !== pickSignature(feed.pick))
      .map((feed) => feed.id),
    pollScheduleChanged: before.poll.schedule !== after.poll.schedule,
    digestsChanged: [...digestIds].filter((id) => oldDigests.get(id) !== newDigests.get(id)),
    needsRestart,
  };
}

/** True when nothing at all changed. */
export function isUnchanged(before: Config, after: Config): boolean {
  const { path: _before, ...a } = before;
  const { path: _after, ...b } = after;
  return JSON.stringify(a) === JSON.stringify(b);
}
