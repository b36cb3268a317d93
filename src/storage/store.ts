/**
 * The one narrow storage interface the rest of columnwire uses, and the types it speaks. Two
 * backends implement it: SQLite (embedded, the default; storage/sqlite/) and PostgreSQL
 * (storage/postgres/), chosen by `openStore`. One call per fetched feed is one transaction.
 * This file imports neither database driver: each backend loads only when chosen.
 */
import type { Delivery, DeliveryStatus, DigestRun, FeedSource, FeedState, NormalizedItem, SaveResult, Story } from '../model.ts';
import type { SearchTerm } from '../site/search-query.ts';

/** What a successful fetch (200 or 304) leaves behind. */
export interface FetchSuccess {
  url: string;
  etag: string | null;
  lastModified: string | null;
  title?: string | null;
  siteLink?: string | null;
  ttlMinutes: number | null;
  nextFetchAt: Date;
  /** The configured URL the fetch started from: if a reload changed it meanwhile, the result is stale and not recorded. */
  configuredUrl?: string;
  /** The stored document's hash (FeedState.bodyHash): saveFetched sets it (absent: null); markNotModified keeps it when absent. */
  bodyHash?: string | null;
  /** The feed's item digest after this document (feeds/item-digest.ts): saveFetched stores it (absent: none); markNotModified keeps it. */
  itemDigest?: string | null;
  /**
   * The document's known items were left unread (feeds/item-digest.ts): saveFetched saves the
   * items given only if none of them matches a story this feed carries (else UnreadItemsConflict,
   * nothing written).
   */
  itemsLeftUnread?: boolean;
}

/** saveFetched refused a save whose unread items could claim what its read ones matched: read the whole document. */
export class UnreadItemsConflict extends Error {
  override name = 'UnreadItemsConflict';
  constructor(feedId: string) {
    super(`feed ${feedId}: an item matched a story the feed carries; its whole document must be read`);
  }
}

/** What a failed fetch leaves behind. */
export interface FetchFailure {
  error: string;
  nextFetchAt: Date;
  waitReason: 'backoff' | 'retry-after';
  /** A permanent redirect seen before the failure still moves the feed. */
  url?: string;
  /** As in FetchSuccess: a result for a URL the config no longer names is not recorded. */
  configuredUrl?: string;
}

/** Which stories to list. */
export interface StoryQuery {
  limit: number;
  /** Only stories that appeared in one of these feeds. */
  feedIds?: readonly string[];
  /** Only one columnist's stories: those under these author keys, or with no author and first brought by one of these feeds. */
  byline?: Byline;
  /** Only the stories after this one in the order (newest first): the next page. */
  before?: StoryCursor;
}

/** Who a columnist is in the stories: author keys (folded names), and feeds whose unsigned stories are theirs. */
export interface Byline {
  authorKeys: readonly string[];
  feedIds: readonly string[];
}

/** A place in the newest-first order of stories. */
export interface StoryCursor {
  published: Date;
  id: number;
}

/** Stories grouped by author key and the feed that first brought them: what the columnist and outlet indexes count. */
export interface BylineStat {
  authorKey: string | null;
  /** The author as the newest story wrote it. */
  author: string | null;
  feedId: string;
  stories: number;
  latest: { publicId: string; title: string | null; published: Date };
}

/** A full-text search: the terms (all must match), newest-weighted relevance order, a page of it. */
export interface SearchQuery {
  terms: readonly SearchTerm[];
  limit: number;
  offset: number;
  /** Relevance fades with age counted from this moment. */
  now: Date;
}

/**
 * Matches ranked per search, the most recently stored: more would rank old stories that the
 * recency fade puts last anyway, at a cost growing with the index. 2,000 cover every page a
 * search serves (the site's 50 pages of at most 40).
 */
export const SEARCH_CANDIDATES = 2_000;

/**
 * How far below a search's candidates (in story ids) older columns with a name in their title
 * or byline are looked for, when an outlet's or columnist's newest columns fill the candidates.
 */
export const SEARCH_OLDER_SPAN = 10 * SEARCH_CANDIDATES;

/**
 * What a search result shows of its story: its heading (title, link, byline, date), not its
 * text or sources. A page of whole stories read them, their sources with them, and copied
 * every excerpt and content (up to 128 Ki characters each) from the search thread, for none of
 * it to be shown.
 */
export type SearchStory = Pick<Story, 'id' | 'publicId' | 'title' | 'link' | 'author' | 'feedId' | 'published'>;

/** A story found, with an excerpt of its text in which SNIPPET_MARK.start/.end surround each match. */
export interface SearchHit {
  story: SearchStory;
  snippet: string;
}

/** Control characters around the matched words in a snippet: never in stored text, escaped before any markup is added. */
export const SNIPPET_MARK = { start: '\u0002', end: '\u0003' } as const;

/** A run to create, with its recipients, and the run it follows (default: the latest). */
export type NewRun = Omit<DigestRun, 'id' | 'status' | 'finishedAt'> & {
  recipients: Array<{ address: string; messageId: string; name?: string | null }>;
  /**
   * Also a copy for each subscriber of the digest who gets it now (digestSubscribers' rules)
   * and is not among `recipients`, added by the store in the run's transaction (no million
   * rows through memory). Its Message-ID is `prefix`, the first 16 hex digits of the SHA-256 of
   * the address, `suffix`: what digestMessageId gives (plan-digest.ts).
   */
  subscribers?: { messageIdPrefix: string; messageIdSuffix: string };
  afterRunId?: number;
};

/** The run a claim created, or the one another process had created from the same cursor. */
export type ClaimedRun = { kind: 'created' | 'taken'; run: DigestRun };

/**
 * A sender's hold on one delivery. `token` is the claim's generation (a fencing token): it moves
 * on with every claim, so a sender whose claim was taken over can no longer write.
 */
export interface DeliveryClaim {
  runId: number;
  address: string;
  owner: string;
  token: number;
}

/** Counter names; each poll cycle adds to them. */
export type CounterName = 'fetches.stored' | 'fetches.not_modified' | 'fetches.failed' | 'stories.added' | 'stories.updated';

/** Every counter, in the order reports list them. */
export const COUNTERS: readonly CounterName[] = [
  'fetches.stored',
  'fetches.not_modified',
  'fetches.failed',
  'stories.added',
  'stories.updated',
];

/** Everything `/metrics` and `columnwire stats` report that outlives the process. */
export interface ServiceStats {
  counters: Record<CounterName, number>;
  /** Stories stored now (retention removes old ones). */
  stories: number;
  /** Feeds in the config, and those whose last fetch failed. */
  feeds: number;
  feedsInError: number;
  /** Digest messages by digest and delivery status (sent, failed, pending). */
  digestMessages: Array<{ digestId: string; status: string; count: number }>;
  /** When the last poll cycle finished, and when any feed was last fetched successfully. */
  lastPollCycleAt: Date | null;
  lastSuccessfulFetchAt: Date | null;
}

/** One address subscribed to one digest as data (`columnwire subscribers`), not in feeds.yaml. */
export interface Subscriber {
  digestId: string;
  /** Lower-cased, as it is sent to. */
  address: string;
  /** The display name for the To header, or null. */
  name: string | null;
  addedAt: Date;
}

/** What a reader chose to get from a digest: stories of any of these (nothing chosen: everything). */
export interface ReaderChoices {
  /** Columnist slugs (the site's /columnists/{slug}). */
  columnists: string[];
  /** Outlet slugs. */
  outlets: string[];
  tags: string[];
}

/** A signup waiting for its emailed link to be followed (double opt-in). */
export interface Signup {
  digestId: string;
  address: string;
  name: string | null;
  choices: ReaderChoices;
  requestedAt: Date;
}

/** A subscriber's own settings for one digest. */
export interface Preferences {
  digestId: string;
  address: string;
  name: string | null;
  choices: ReaderChoices;
  paused: boolean;
}

/** An address whose mail failed permanently; `bouncingSince` once nothing more is sent to it. */
/** Bounce reports older than this (30 days) since the address's last failure no longer add up. */
export const BOUNCE_REPORTS_STALE_MS = 30 * 24 * 3600_000;
/** How a delivery's and an address's last error shows it came from a bounce report. */
export const BOUNCED = 'bounce report: ';

export interface Bounce {
  address: string;
  failures: number;
  lastError: string;
  lastAt: Date;
  bouncingSince: Date | null;
}

/** What adding subscribers did. */
export interface AddedSubscribers {
  added: number;
  /** Already subscribed, with another name now. */
  renamed: number;
  unchanged: number;
}

/** The digest id a subscription row has for "every digest" (digest ids are slugs, so it names none). */
export const ALL_DIGESTS = '*';

/** One stored subscription row, as both backends keep it: (address, digest) with its state and epoch. */
export interface SubscriptionRecord {
  address: string;
  digest_id: string;
  state: 'subscribed' | 'unsubscribed';
  epoch: number;
  /** Milliseconds since the epoch. */
  at: number;
}

/** An address's standing for one digest, where anything was ever recorded for it. */
export interface SubscriptionState {
  address: string;
  digestId: string;
  state: 'subscribed' | 'unsubscribed';
  /** When the deciding unsubscribe or resubscribe happened. */
  since: Date;
  /** 'all': decided by an unsubscribe (or resubscribe) from every digest. */
  scope: 'digest' | 'all';
  /** The epoch links for this digest carry now; an older one is from before a resubscribe. */
  epoch: number;
}

/**
 * The standing for a digest from its own row and the every-digest row: the digest's own row
 * decides when there is one (writes for every digest update the own rows too, so it is
 * never older); the epochs add up, so a resubscribe of either kind makes older links old.
 */
export function resolveSubscription(
  digestId: string,
  own: SubscriptionRecord | undefined,
  all: SubscriptionRecord | undefined,
): SubscriptionState | null {
  const deciding = own ?? all;
  if (!deciding) return null;
  return {
    address: deciding.address,
    digestId,
    state: deciding.state,
    since: new Date(deciding.at),
    scope: deciding === all ? 'all' : 'digest',
    epoch: (own?.epoch ?? 0) + (all?.epoch ?? 0),
  };
}

export interface Store {
  /** Makes the stored feeds match the config. */
  syncFeeds(sources: readonly FeedSource[]): Promise<void>;
  /** The feeds in the config (removed ones keep their state and stories but are not listed). */
  listFeeds(): Promise<FeedState[]>;
  /** How many feeds listFeeds lists, without reading them (/healthz asks it at every probe). */
  countFeeds(): Promise<number>;
  getFeed(id: string): Promise<FeedState | null>;
  /** The feed's item digest (feeds/item-digest.ts): the items of its last stored document. Null when none. */
  itemDigest(id: string): Promise<string | null>;
  /** Stores a fetched feed's items and its new state in one transaction. */
  saveFetched(
    feedId: string,
    items: readonly NormalizedItem[],
    state: FetchSuccess,
    now: Date,
    keepAfter: Date | null,
  ): Promise<SaveResult>;
  markNotModified(feedId: string, state: FetchSuccess, now: Date): Promise<void>;
  markFailed(feedId: string, failure: FetchFailure, now: Date): Promise<void>;
  listStories(query: StoryQuery): Promise<Story[]>;
  /** The story published under this id (Story.publicId), or null. */
  storyByPublicId(publicId: string): Promise<Story | null>;
  /** Every (author key, first feed) pair with its story count and newest story. */
  bylineStats(): Promise<BylineStat[]>;
  /** Full-text search over title, author and text; [] for no terms. */
  searchStories(query: SearchQuery): Promise<SearchHit[]>;
  /** Stories each feed contributed to, by feed id. */
  countStoriesByFeed(): Promise<Map<string, number>>;
  countStories(): Promise<number>;
  /** Removes stories published before `before`, keeping their identity keys. */
  pruneStories(before: Date): Promise<number>;
  /** Changes whenever what the merged feeds show changes (also by another process). */
  contentVersion(): Promise<number>;
  /** When any feed was last fetched, or null. */
  lastPollAt(): Promise<Date | null>;
  /** The highest story id; ids only grow, so it is the digest cursor. */
  maxStoryId(): Promise<number>;
  /** The highest id among stories first seen at or before `at`. */
  maxStoryIdSeenBefore(at: Date): Promise<number>;
  storyIdsInRange(fromId: number, toId: number, feedIds?: readonly string[]): Promise<number[]>;
  /** Stories by id (those retention has not removed), newest first. */
  storiesByIds(ids: readonly number[]): Promise<Story[]>;
  /** When each feed last brought a new story. */
  lastNewStoryByFeed(): Promise<Map<string, Date>>;
  /** Records a run after the latest one (tests and tools; the sender claims). */
  createDigestRun(run: NewRun): Promise<DigestRun>;
  /** Records a run planned from the cursor `run.afterRunId`, or returns the run another process made from it first. */
  claimDigestRun(run: NewRun & { afterRunId: number }): Promise<ClaimedRun>;
  /**
   * Claims a pending delivery for this process to send; null when it is done, another live
   * sender has it, or an attempt of this process's is under way on it. This process's own claim
   * left by an attempt that ended (endDeliveryAttempt) is taken again, with a new token.
   */
  claimDelivery(runId: number, address: string, now: Date): Promise<DeliveryClaim | null>;
  /**
   * Ends this process's attempt on `claim` without recording a result (markDelivery ends it
   * too, once answered): its claim stays in the database, and this process may take it again.
   */
  endDeliveryAttempt(claim: DeliveryClaim): void;
  /** Renews a held claim right before its message goes to SMTP; false when another sender took it over (drop the copy). */
  renewDeliveryClaim(claim: DeliveryClaim, now: Date): Promise<boolean>;
  latestDigestRun(digestId: string): Promise<DigestRun | null>;
  unfinishedDigestRuns(digestId: string): Promise<DigestRun[]>;
  listDigestRuns(digestId: string | null, limit: number): Promise<DigestRun[]>;
  deliveries(runId: number): Promise<Delivery[]>;
  /** A page of a run's pending copies: up to `limit`, by address, after the address `after` ('' from the first). */
  pendingCopies(runId: number, after: string, limit: number): Promise<Delivery[]>;
  /** A run's copies by status: the counts it kept when it finished (they outlive its pruned copies), else its deliveries counted. */
  deliveryCounts(runId: number): Promise<Partial<Record<DeliveryStatus, number>>>;
  /** Up to `limit` copies of a run that were not sent and carry an error: failed, then pending, then skipped (a reader's choices), each by address. */
  deliveryErrors(runId: number, limit: number): Promise<Delivery[]>;
  /**
   * Deletes the per-recipient copies of the runs finished before `before`, a batch at a time;
   * the runs stay, with their counts by status (stats and `digest --status` read those). Runs
   * still sending keep theirs. Returns how many copies it deleted.
   */
  pruneDeliveries(before: Date): Promise<number>;
  /** Records the result of a claimed delivery; false (nothing written) when the claim was lost meanwhile. */
  markDelivery(
    claim: DeliveryClaim,
    status: DeliveryStatus,
    options?: { error?: string | null; sentAt?: Date; attempts?: number },
  ): Promise<boolean>;
  /** Marks a run done when no delivery is left to send; true when it is done. */
  finishDigestRunIfDone(runId: number, at: Date): Promise<boolean>;
  /** Stops `digestId` (every digest when null) for `address`; a second unsubscribe keeps the first one's time. */
  unsubscribe(address: string, digestId: string | null, at: Date): Promise<void>;
  /** Undoes an unsubscribe from `digestId` (every digest when null), moving its epoch on; true when there was one. */
  resubscribe(address: string, digestId?: string | null, at?: Date): Promise<boolean>;
  /** Addresses that must not get `digestId`; without one, those unsubscribed from any digest. */
  unsubscribedAddresses(digestId?: string): Promise<Set<string>>;
  /** One address's standing for a digest (with the epoch its links carry), or null when none was recorded. */
  subscriptionState(address: string, digestId: string): Promise<SubscriptionState | null>;
  /** The standing of every address with one recorded for `digestId`, by lower-cased address. */
  subscriptionStates(digestId: string): Promise<Map<string, SubscriptionState>>;
  /**
   * Subscribes addresses to `digestId` (lower-cased; a known one takes the new name, null
   * included, or keeps its own when none is given); counts what changed.
   */
  addSubscribers(
    digestId: string,
    subscribers: ReadonlyArray<{ address: string; name?: string | null }>,
    at: Date,
  ): Promise<AddedSubscribers>;
  /** Removes `address` from `digestId`'s subscribers (from every digest's when null); how many it left. */
  removeSubscriber(address: string, digestId: string | null): Promise<number>;
  /** Subscribers of `digestId` (every digest when null), by digest then address: a page of `limit` after `after`. */
  listSubscribers(digestId: string | null, page: { limit: number; after?: { digestId: string; address: string } }): Promise<Subscriber[]>;
  /** How many subscribers each digest has, by digest id. */
  countSubscribers(): Promise<Map<string, number>>;
  /**
   * Keeps a signup until it is confirmed (replacing an earlier one for the same digest and
   * address, unless that one was requested after `replaceBefore`: then nothing is kept and
   * the answer is false, in one statement, so of requests at once only one is kept), and forgets
   * every signup requested before `forgetBefore`, whose link expired long ago: the table holds
   * only recent requests.
   */
  saveSignup(signup: Signup, forgetBefore?: Date, replaceBefore?: Date): Promise<boolean>;
  /** Forgets the signup requested at `requestedAt` (its mail was not sent); false when another replaced it. */
  dropSignup(digestId: string, address: string, requestedAt: Date): Promise<boolean>;
  /** The waiting signup of `address` to `digestId`, or null. */
  signup(digestId: string, address: string): Promise<Signup | null>;
  /** Waiting signups, by digest then address (every digest's when null). */
  listSignups(digestId: string | null): Promise<Signup[]>;
  /**
   * Makes the signup requested at `requestedAt` a subscriber (with its name and choices, not
   * paused) and forgets the signup; false when no such signup waits (followed twice, replaced).
   */
  confirmSignup(digestId: string, address: string, requestedAt: Date, at: Date): Promise<boolean>;
  /** The subscriber rows of `address`, one per digest it is subscribed to as data. */
  preferences(address: string): Promise<Preferences[]>;
  /** Changes a subscriber's choices or pause; false when `address` is no subscriber of `digestId`. */
  setPreferences(digestId: string, address: string, change: { choices?: ReaderChoices; paused?: boolean }): Promise<boolean>;
  /** Non-empty choices of `digestId`'s subscribers, by address. */
  subscriberChoices(digestId: string): Promise<Map<string, ReaderChoices>>;
  /** Counts a permanent failure to `address`; at `threshold` in a row it is bouncing. True when it is bouncing now. */
  recordPermanentFailure(address: string, error: string, at: Date, threshold: number): Promise<boolean>;
  /**
   * Counts a bounce report (a DSN) of the copy sent to `address` whose Message-ID is one of
   * `messageIds`: that delivery becomes `failed` with `error`, and the address's reports go up
   * by one (a relay's acceptance of later copies does not reset them; a report more than
   * BOUNCE_REPORTS_STALE_MS after the last failure starts again from one); at `threshold` the
   * address is bouncing. `unknown`: no copy to `address` has such a Message-ID (not ours, or
   * forged); `duplicate`: that copy's bounce was counted already.
   */
  recordBounceReport(
    address: string,
    messageIds: readonly string[],
    error: string,
    at: Date,
    threshold: number,
  ): Promise<'counted' | 'bouncing' | 'duplicate' | 'unknown'>;
  /** A message to `address` was accepted: its failures start again from zero. */
  clearFailures(address: string): Promise<void>;
  /** Forgets `address`'s failures and bouncing state (an operator fixed it); true when there was any. */
  clearBounce(address: string): Promise<boolean>;
  /** Every address with failures, bouncing or not. */
  listBounces(): Promise<Bounce[]>;
  /** Addresses nothing is sent to. */
  bouncingAddresses(): Promise<Set<string>>;
  /** The subscribers of `digestId` who may get it now: not unsubscribed from it or from every digest, not paused, not bouncing; by address. */
  digestSubscribers(digestId: string): Promise<Array<{ address: string; name: string | null }>>;
  /**
   * The rows of digestSubscribers a page at a time: at most `limit`, by address, after the address
   * `after` (none: from the first). Each page is its own read: a subscriber added or unsubscribed
   * between two pages is in or out as the later page finds it, and no address comes twice.
   */
  listDigestSubscribers(
    digestId: string,
    page: { limit: number; after?: string },
  ): Promise<Array<{ address: string; name: string | null }>>;
  /** Adds a poll cycle's totals to the persistent counters and stamps when it finished. */
  recordPollCycle(totals: Partial<Record<CounterName, number>>, finishedAt: Date): Promise<void>;
  /** The persistent totals, for /metrics and `columnwire stats`. */
  readStats(): Promise<ServiceStats>;
  /** When the last poll cycle finished (ServiceStats.lastPollCycleAt) alone, for /readyz: one row, whatever the tables hold. */
  lastPollCycleAt(): Promise<Date | null>;
  /** Writes a consistent copy of the database to `destination` (online backup). */
  backup(destination: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A delivery claim not renewed for this long is taken over even when its owner cannot be seen dead
 * (another host or container, a reused pid). The sender renews before every send attempt, and one
 * attempt lasts at most its SMTP timeouts (15 + 15 + 60 s); a sender paused past this (SIGSTOP,
 * suspend) finds its claim gone when it wakes, and neither sends nor writes (fencing token).
 */
export const STALE_CLAIM_MS = 15 * 60_000;

/**
 * True when a store call failed only because another process held a lock too long, or the
 * database gave up on a conflict it asks the caller to retry: the work is left for later. SQLite:
 * SQLITE_BUSY and SQLITE_LOCKED; PostgreSQL: serialization failure, deadlock, lock not available.
 */
export function isStoreBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return /^SQLITE_(BUSY|LOCKED)/.test(code) || code === '40001' || code === '40P01' || code === '55P03';
}

// ENOTFOUND too: a running cluster's database host vanishes from DNS while its container restarts.
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// The last: pg-pool waited connectionTimeoutMillis for a connection (every one busy, or the server silent).
const DEAD_CONNECTION =
  /^(Connection terminated|Client has encountered a connection error|Connection ended unexpectedly|timeout exceeded when trying to connect)/;

/**
 * True when a store call failed because the database could not be reached or ended the
 * connection: PostgreSQL restarting, failing over or shutting down (SQLSTATE class 08, and 57P01
 * admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now), out of connection slots
 * (53300, as a fleet reconnects at once), a session ended for idling in a transaction (25P03:
 * this process stalled mid-save; connection-settings.ts), node-postgres's errors for a dead connection, socket
 * and DNS errors; also when such an error is the `cause` of ours (opening the store wraps it).
 * Nothing is wrong with the work: as with a busy store, it is left for later, and must not be
 * recorded as the feed's (or the message's) failure. A wrong password (28P01) or a missing
 * database (3D000) is not this: retrying cannot help.
 */
export function isStoreUnavailable(error: unknown): boolean {
  for (let at = error, depth = 0; at !== null && at !== undefined && depth < 5; depth++) {
    const { code, message, cause } = at as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && (/^(08|57P0[123]|53300$|25P03$)/.test(code) || SOCKET_ERRORS.has(code))) return true;
    if (typeof message === 'string' && DEAD_CONNECTION.test(message)) return true;
    at = cause;
  }
  return false;
}

/** Busy or unavailable: the store could not do the work now, through no fault of the work; retry later. */
export const isStoreTransient = (error: unknown): boolean => isStoreBusy(error) || isStoreUnavailable(error);

/** Where the data lives: a SQLite file (the embedded default) or a PostgreSQL database. */
export type StoreTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** Options both backends take. */
export interface StoreOptions {
  /** Names this process's delivery claims (default: host, pid and a nonce); tests give two stores two owners. */
  claimOwner?: string;
  /** Where a failure of work the store does on its own (SQLite's batched search index) is reported (default: stderr). */
  onBackgroundError?: (error: unknown, what: string) => void;
  /** SQLite: most threads reading at once (default: 2, or 1 on one core); 0 reads on the store's own connection. */
  readThreads?: number;
  /**
   * SQLite: a byline stats read on the store's own connection taking this long sends the later
   * ones to a read thread (default 4 ms; 0: every one after the first).
   */
  bylineStatsThreadMs?: number;
}

/** Opens (migrating) the store at `target`; only the chosen backend's driver is loaded. */
export async function openStore(target: StoreTarget, options: StoreOptions = {}): Promise<Store> {
  if (target.kind === 'sqlite') return (await import('./sqlite/sqlite-store.ts')).createSqliteStore(target.path, options);
  return (await import('./postgres/postgres-store.ts')).createPostgresStore(target.url, options);
}

/** A worker's hold on one feed while it fetches it. `token` fences what it writes: a newer lease makes it stale. */
export interface FeedLease {
  feedId: string;
  owner: string;
  token: number;
}

/** A lease as takeFeedLease gives it: with the feed's state and item digest as of the lease, which its holder alone changes. */
export interface TakenLease extends FeedLease {
  state: FeedState;
  itemDigest: string | null;
}

/** Why a lease was not given ('not-due' only when asked for a feed that is due). */
export type LeaseRefusal = 'leased' | 'host-busy' | 'not-found' | 'not-due';

/** How takeFeedLease is asked. */
export interface LeaseOptions {
  /** Whether a holder seen here is gone (killed on this host): its lease is taken over. */
  isOwnerDead?: (owner: string) => boolean;
  /** Refuse a feed whose next fetch is later than `now` ('not-due'), clearing its queued mark as a release would. */
  dueOnly?: boolean;
  /** The feed's url as the caller expects it (the configured one): its host is the one counted, unless the stored url differs. */
  url?: string;
}

/** The connection a queue library inserts its jobs on, inside the planner's transaction (pg-boss's `db` option). */
export interface QueueSql {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** A fetch's writes made through a lease: refused (LostLeaseError) once another lease replaced it. */
export class LostLeaseError extends Error {
  override name = 'LostLeaseError';
}

/**
 * What running over many processes adds to the Store (the PostgreSQL backend): scheduler ticks
 * claimed once, polls planned in one transaction with their jobs, feeds leased with a fencing
 * token, and the cluster's gauges.
 */
/** A LISTEN kept open (ClusterStore.listen). */
export interface Listener {
  /** False while its connection is down (being made again): notifications sent meanwhile are lost. */
  readonly listening: boolean;
  close(): Promise<void>;
}

export interface ClusterStore {
  /**
   * Calls `onNotify` with the payload of each NOTIFY on `channel` (the job queue's wake-ups), over
   * a connection of its own kept open until the listener is closed; `onLost` once when it is
   * lost (or cannot be made at first), `onConnect` after each
   * (re)connection, as notifications sent while it was down are lost.
   */
  listen(channel: string, onNotify: (payload: string) => void, onConnect: () => void, onLost?: (error: Error | null) => void): Listener;
  /** True for the one process that claims `job` at `tick`; false for every other (cron fires once per tick cluster-wide). */
  claimTick(job: string, tick: Date, now: Date): Promise<boolean>;
  /**
   * claimDigestRun for the scheduled minute `slot`: the slot is settled in the run's own
   * transaction, so it gets one run at most, and has one as soon as it is settled (a claim of
   * the slot cannot lose its run); `settled` when it was settled already, and nothing is made.
   */
  claimScheduledDigestRun(run: NewRun & { afterRunId: number }, slot: Date): Promise<ClaimedRun | { kind: 'settled' }>;
  /** Whether `digestId`'s scheduled minute `slot` is settled: its run was created, or it had nothing to send. */
  digestSlotSettled(digestId: string, slot: Date): Promise<boolean>;
  /**
   * The scheduled minutes of `digestId` from `from` to `to` whose start a scheduler claimed
   * (its cron fired) that are not settled: their scheduler died, or the store failed the run's
   * creation. Oldest first.
   */
  unsettledDigestStarts(digestId: string, from: Date, to: Date): Promise<Date[]>;
  /** Settles `digestId`'s scheduled minute `slot` without a run (nothing new to send): no run is owed for it any more. */
  settleDigestSlot(digestId: string, slot: Date, now: Date): Promise<void>;
  /** Forgets the ticks claimed before `before` (of `jobs` only, when given); how many. */
  pruneScheduleTicks(before: Date, jobs?: readonly string[]): Promise<number>;
  /**
   * Marks up to `limit` due feeds queued (due: in the config, next fetch reached; queued longer
   * than `requeueAfterMs` ago counts as not queued) and hands their ids to `enqueue` inside the
   * same transaction, skipping rows another planner holds. Returns the ids queued. Lost work
   * comes first and is told apart (`retries`): a feed whose lease ended without a result
   * (expired, or held by a process seen dead) is late already, and its job must not wait
   * behind a backlog of feeds merely due. A feed queued long ago and not leased (its job still
   * waiting, or lost) is queued again in its own class. Then feeds due again (fetched
   * before: `dueAgain`), then feeds never fetched: a bulk of new feeds (a first start, an OPML
   * import of thousands) fills the capacity the feeds on their clocks leave, and never makes
   * them late.
   */
  planPolls(
    now: Date,
    options: { limit: number; requeueAfterMs: number; isOwnerDead?: (owner: string) => boolean },
    enqueue: (sql: QueueSql, feedIds: string[], retries: ReadonlySet<string>, dueAgain: ReadonlySet<string>) => Promise<void>,
  ): Promise<string[]>;
  /**
   * Leases `feedId` to `owner` for `leaseMs`, unless another live lease holds it (one whose owner
   * `options.isOwnerDead` says is gone, killed on this host, is taken over) or its host has
   * `perHostCap` leases. The lease comes with the feed's state: a poll need not read it again.
   */
  takeFeedLease(
    feedId: string,
    owner: string,
    now: Date,
    leaseMs: number,
    perHostCap: number,
    options?: LeaseOptions,
  ): Promise<TakenLease | LeaseRefusal>;
  /** Clears a feed's queued mark when no worker holds it, so the next planner tick queues it again (its host was busy). */
  unqueueFeed(feedId: string, now: Date): Promise<void>;
  /** Ends a lease and the feed's queued mark (nothing when the lease was replaced meanwhile). */
  releaseFeedLease(lease: FeedLease): Promise<void>;
  /**
   * The Store's writes for one fetched feed, fenced by `lease` (each throws LostLeaseError,
   * writing nothing, when it is stale). A write that lands ends the lease in its own commit;
   * releaseFeedLease after it does nothing.
   */
  leased(lease: FeedLease): Pick<Store, 'saveFetched' | 'markNotModified' | 'markFailed'>;
  /** Pending deliveries of a run whose addresses are in [from, to], by address. */
  pendingDeliveries(runId: number, from: string, to: string): Promise<Delivery[]>;
  /** The addresses of a run's pending deliveries cut into ranges of at most `size`: [first, last] each. */
  pendingRanges(runId: number, size: number): Promise<Array<[string, string]>>;
  /** The value every process shares under `key`: the first process to ask stores `proposed`, every later one reads it. */
  sharedSetting(key: string, proposed: string): Promise<string>;
  /** Feeds due now and how late the oldest due one is. */
  clusterGauges(now: Date): Promise<{ feedsDue: number; oldestDueLagMs: number | null; leased: number }>;
}

/** Whether `store` runs over many processes (PostgreSQL). */
export function isClusterStore(store: Store): store is Store & ClusterStore {
  return typeof (store as Partial<ClusterStore>).claimTick === 'function';
}
