/**
 * The items a feed's last stored document held, kept with the feed so the next document parses
 * only what is new: most polls bring one new item among fifty known ones. Each entry is the hash
 * of an item's raw text (its XML element as repaired, or as its bytes when found in them before
 * decoding; or its JSON object) with the hashes of what
 * identifies it (its id, canonical link and title key). The digest also names the reading context
 * its items were read under (format, base URL, the feed's author: what reading one item takes from
 * outside it): under another context every item is read again. Pure.
 *
 * An item is skipped only when skipping stores exactly what reading it would: its raw text is
 * unchanged under the same context and pick (so its content hash is, and the store writes
 * nothing for it); it shared its id with no other item; its raw text appears once in the
 * document (identical items are told apart by position); no new item shares its id, link or
 * title; and no item read matches a story the feed carries (planSave's `othersUnread`: the
 * poller then reads the whole document). The last two would change how the new items match.
 */
import * as crypto from 'node:crypto';
import { stringHash } from '../string-hash.ts';
import type { NormalizedItem } from '../model.ts';

/** Raise with any change to how one item is read from its text, so every digest is read again. */
const DIGEST_VERSION = 4; // 2: Atom content resolved against its declared xml:base (items known under 1 kept it relative); 3: feedburner:origLink, links' canonical form, dates, C1 references, JSON Feed text; 4: media:description, itunes:summary

/** What a feed's stored digest says: its context and, per raw-item hash, the item's identity hashes. */
export interface ItemDigest {
  context: string;
  entries: ReadonlyMap<string, readonly string[]>;
}

/** An item as a digest entry: its raw hash, and the hashes of its id, canonical link and title key. */
export interface DigestEntry {
  raw: string;
  identities: readonly string[];
}

// crypto.hash (Node 20.12+) hashes a short input in half the time of a Hash object.
const sha1 =
  'hash' in crypto
    ? (data: string | Uint8Array): string => crypto.hash('sha1', data, 'base64url')
    : (data: string | Uint8Array): string => crypto.createHash('sha1').update(data).digest('base64url');
const hash = (text: string | Uint8Array, chars: number): string => sha1(text).slice(0, chars);

/**
 * The hash of one item's raw text (96 bits: a collision would skip an edit): of its UTF-8, so
 * an item found in the bytes of a UTF-8 document that needed no mending hashes as its text does.
 */
export const rawItemHash = (raw: string | Uint8Array): string => hash(raw, 16);

/** An identity's hash: a collision only costs reading the whole document (a crypto digest each was a sixth of the tracking's cost). */
const quickHash = (text: string): string => stringHash(text).toString(36);

/**
 * The hash of a reading context: the format, everything outside an item that reading it uses,
 * and `salt`, what else decides how items are kept (the feed's pick). `declaredBase`: Atom's
 * xml:base as the feed declares it (it resolves content; a base that is only the document's URL does not).
 */
export const readingContext = (
  format: string,
  base: string | null,
  feedAuthor: string | null,
  salt: string,
  declaredBase: string | null = null,
): string => hash(JSON.stringify([DIGEST_VERSION, format, base, feedAuthor, salt, declaredBase]), 16);

/** Marks the entry of an item that shared its id with others in its document: it is always read. */
export const SHARED_ID = 's';

/**
 * What identifies a normalized item to the store's matching: its id as the feed gave it, its
 * canonical link, its title key, each hashed short (quickHash).
 * An item that shared its id is marked (SHARED_ID): which story a shared id names depends on
 * every item that shares it, so such items are never left unread.
 */
export function identitiesOf(item: NormalizedItem): string[] {
  const identities = [`i${quickHash(item.sharedId ?? item.itemId)}`];
  if (item.sharedId !== undefined) identities.push(SHARED_ID);
  if (item.canonicalUrl !== null) identities.push(`u${quickHash(item.canonicalUrl)}`);
  if (item.titleKey !== null) identities.push(`t${quickHash(item.titleKey)}`);
  return identities;
}

/** A stored digest read back; null when absent or not one this version wrote (then nothing is known). */
export function readItemDigest(text: string | null): ItemDigest | null {
  if (!text) return null;
  const lines = text.split('\n');
  const [version, context] = [lines[0], lines[1]];
  if (version !== `v${DIGEST_VERSION}` || !context) return null;
  const entries = new Map<string, readonly string[]>();
  for (const line of lines.slice(2)) {
    const [raw, identities] = line.split(' ');
    if (!raw) continue;
    entries.set(raw, identities ? identities.split(',') : []);
  }
  return { context, entries };
}

/** The digest to store for a document read under `context` whose stored items are `entries`. */
export function writeItemDigest(context: string, entries: readonly DigestEntry[]): string {
  return [`v${DIGEST_VERSION}`, context, ...entries.map((entry) => `${entry.raw} ${entry.identities.join(',')}`)].join('\n');
}

/** Whether any new item is identified like a known one (then the whole document is read). */
export function sharesIdentity(known: readonly DigestEntry[], fresh: readonly DigestEntry[]): boolean {
  if (known.length === 0 || fresh.length === 0) return false;
  const taken = new Set(known.flatMap((entry) => entry.identities));
  return fresh.some((entry) => entry.identities.some((identity) => taken.has(identity)));
}
