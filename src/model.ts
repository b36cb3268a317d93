/** Shared types only: the vocabulary every module speaks. No logic lives here. */

/** One entry of `feeds.yaml`, validated, with its id always present. */
export interface FeedSource {
  id: string;
  url: string;
  title: string | null;
  outlet: string | null;
  tags: string[];
  /** Set when columnists pick themselves out of this multi-author feed (`columnists[].pickFrom`): only their items are stored. */
  pick?: AuthorPick;
}

/** Whose items a multi-author feed keeps. */
export interface AuthorPick {
  /** Folded names (and aliases) of the columnists picking this feed. */
  authorKeys: string[];
  /** Whether its unsigned items are kept too (a picking columnist lists the feed in `feeds:`). */
  keepUnsigned: boolean;
  /** The columnists' names, for messages. */
  names: string[];
}

/** What a feed document says about itself. */
export interface ParsedFeedMeta {
  title: string | null;
  link: string | null;
  description: string | null;
  language: string | null;
  updated: Date | null;
  /** RSS `<ttl>` in minutes: the publisher's requested minimum poll interval. */
  ttlMinutes: number | null;
}

/** One item as the feed states it, normalized but not yet seen by storage. */
export interface ParsedItem {
  /** guid / Atom id / JSON Feed id, else the link, else a hash of title and date. */
  id: string;
  title: string | null;
  link: string | null;
  author: string | null;
  /** Set when the item names no author and `author` is the feed's own (Atom §4.2.1, an RSS channel's, a JSON Feed's). */
  authorFromFeed?: true;
  published: Date | null;
  updated: Date | null;
  /** HTML (or text) as given by the feed, trimmed. */
  summary: string | null;
  content: string | null;
  categories: string[];
}

export interface ParsedFeed {
  format: 'rss' | 'atom' | 'json';
  feed: ParsedFeedMeta;
  items: ParsedItem[];
}

/** Why a feed must not be fetched before `nextFetchAt`. */
export type WaitReason = 'schedule' | 'backoff' | 'retry-after';

/** Per-feed polling state kept in the database. */
export interface FeedState {
  id: string;
  /** The URL fetched now: the configured one, or where a permanent redirect or autodiscovery led. */
  url: string;
  configuredUrl: string;
  title: string | null;
  siteLink: string | null;
  etag: string | null;
  lastModified: string | null;
  lastFetchAt: Date | null;
  lastSuccessAt: Date | null;
  nextFetchAt: Date | null;
  waitReason: WaitReason | null;
  /** The feed's last stated RSS <ttl>, still honoured while it answers 304. */
  ttlMinutes: number | null;
  /**
   * A hash of the last document stored in full, with what reads it (its URL and Content-Type,
   * poll.maxItemsPerFeed, the pick): the same bytes again are not parsed, as a 304 would not be.
   * Null when unknown.
   */
  bodyHash: string | null;
  consecutiveErrors: number;
  lastError: string | null;
}

/** A feed as the rest of the program sees it: config and state together. */
export interface Feed extends FeedState {
  source: FeedSource;
}

/** One feed a story appeared in. */
export interface StorySource {
  feedId: string;
  link: string | null;
  firstSeenAt: Date;
}

/** A deduplicated story as stored. */
export interface Story {
  id: number;
  /** The id the merged feeds publish: derived from the story's identity, never reused (story-public-id.ts). */
  publicId: string;
  title: string | null;
  link: string | null;
  canonicalUrl: string | null;
  author: string | null;
  published: Date;
  /** The date the feed claimed when it was absent or in the future and `published` fell back to first seen. */
  claimedPublished: Date | null;
  updated: Date;
  summary: string | null;
  content: string | null;
  categories: string[];
  firstSeenAt: Date;
  /** The feed that first brought the story. */
  feedId: string;
  sources: StorySource[];
}

/** What storing one feed's items did. */
export interface SaveResult {
  added: number;
  updated: number;
  duplicates: number;
}

/** The outcome of polling one feed. */
export type PollOutcome =
  /**
   * `itemCount`: items stored or matched; `droppedItems`: the document's oldest items past
   * poll.maxItemsPerFeed; `emptyItems`: items with no title, link or text; `unpickedItems`: items of a
   * feed columnists pick themselves out of (`columnists[].pickFrom`) that none of them signed. None of the last three is stored.
   */
  | ({ kind: 'stored'; itemCount: number; droppedItems: number; emptyItems: number; unpickedItems: number } & SaveResult)
  | { kind: 'not-modified' }
  /** 'busy': another process held the database's write lock too long; the feed is left as it was, for the next cycle. */
  | { kind: 'skipped'; reason: WaitReason | 'busy'; until: Date }
  | { kind: 'failed'; error: string; nextFetchAt: Date };

/** An item ready for storage: dates settled against first-seen time, identity keys computed. */
export interface NormalizedItem {
  /** Identity within its feed (guid, else link, else hash of title and date), made unique within its document. */
  itemId: string;
  /** The id as the feed gave it, when other items of the document gave it too (normalize-items.ts). */
  sharedId?: string;
  canonicalUrl: string | null;
  /** Title folded for re-issue matching (case, accents, punctuation), or null when too short to trust. */
  titleKey: string | null;
  authorKey: string | null;
  /** Changes exactly when the feed edits what it says about the item. */
  contentHash: string;
  title: string | null;
  link: string | null;
  author: string | null;
  /** Set when the item names no author and `author` is the feed's own. */
  authorFromFeed?: true;
  published: Date;
  claimedPublished: Date | null;
  updated: Date;
  summary: string | null;
  content: string | null;
  categories: string[];
}

/** Where one recipient's copy of a digest run stands. */
/** 'skipped': nothing the reader chose was in the run, so no copy was sent. */
export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'skipped';

/** One run of a digest: the stories it covers are frozen when it is created. */
export interface DigestRun {
  id: number;
  digestId: string;
  createdAt: Date;
  /** Covers stories with fromStoryId < id <= toStoryId (filtered by the digest's tags/feeds). */
  fromStoryId: number;
  toStoryId: number;
  storyIds: number[];
  subject: string;
  status: 'sending' | 'done';
  finishedAt: Date | null;
}

/** One recipient's copy of a run. */
export interface Delivery {
  runId: number;
  address: string;
  /** The display name for the To header, as planned (null: none, or from the digest's to: list). */
  name: string | null;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  messageId: string;
  sentAt: Date | null;
  /** Set while a process is sending this (still pending) copy: since when. */
  claimedAt: Date | null;
}
