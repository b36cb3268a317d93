/** One spelling per tag, wherever it is written: feeds.yaml, `feeds tag`, `feeds add --tag`, `opml import --tag`. Pure. */

/**
 * `" Politics  UK "` → `politics-uk`: trimmed, lower-case, each run of inner whitespace one
 * "-". A tag is a path segment (`/tags/{tag}/feed.xml`): a hyphen reads well there, where a
 * space would be `%20`. NFKC first, so a full-width or compatibility form meets its plain twin.
 */
export function normalizeTag(tag: string): string {
  return tag.normalize('NFKC').trim().toLowerCase().replace(/\s+/gu, '-');
}

/** The tags normalised, each once, in first-seen order; empty ones dropped. */
export function normalizeTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map(normalizeTag).filter((tag) => tag !== ''))];
}
