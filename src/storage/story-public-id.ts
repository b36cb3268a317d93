/**
 * The id a story is published under (RSS guid, Atom id, JSON Feed id), derived from its
 * identity rather than its SQLite rowid, so a restored backup or a rebuilt database never
 * gives a new story an id readers already saw (a reader takes a known id for "already read").
 * Pure.
 */
import { createHash } from 'node:crypto';

/** The form of ids published before this scheme; migration 6 (schema version 7) gives existing stories this id. */
export const LEGACY_ID_PREFIX = 'urn:columnwire:story:';

/**
 * `urn:columnwire:story:` + the first 128 bits of SHA-256 (32 lower-case hex digits) of the
 * story's identity key: its canonical link when it has one (the same in every feed, whichever
 * was polled first), else the feed that first brought it and that feed's item id. 32 hex
 * digits never spell a legacy `…:story:N` id: a rowid has at most 19 digits and no leading zero.
 */
export function storyPublicId(identityKey: string): string {
  return `${LEGACY_ID_PREFIX}${createHash('sha256').update(identityKey, 'utf8').digest('hex').slice(0, 32)}`;
}

/** The path part a story's card is found under (/stories/{slug}): the public id's last segment. */
export function storySlug(publicId: string): string {
  return publicId.slice(publicId.lastIndexOf(':') + 1);
}
