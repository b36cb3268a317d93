/** A stable slug for a feed that names no id, made from its URL alone (never from its position). */
import { publicUrl } from '../redact.ts';

const NOISE = new Set([
  'feed',
  'feeds',
  'rss',
  'atom',
  'xml',
  'rss2',
  'index',
  'www',
  'com',
  'org',
  'net',
  'co',
  'uk',
  'json',
  'profile',
  'author',
  'authors',
  'column',
  'columnists',
  'opinion',
]);

/** "https://www.theguardian.com/profile/georgemonbiot/rss" → "theguardian-georgemonbiot". */
export function deriveFeedId(url: string): string {
  // Without credentials: the id is public (/feeds/{id}/feed.xml, OPML, logs), a ?token= is not.
  const parsed = new URL(publicUrl(url));
  const host = parsed.hostname.replace(/^www\d?\./, '').split('.');
  const site =
    host.length > 1
      ? host
          .slice(0, -1)
          .filter((label) => !NOISE.has(label))
          .join('-') || host[0]!
      : host[0]!;
  const words = decodeURIComponent(parsed.pathname + parsed.search)
    .toLowerCase()
    .replace(/\.(xml|rss|atom|json|php|html?)\b/g, '')
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '' && !NOISE.has(word));
  return slug([site, ...words].join('-')) || 'feed';
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}

/** deriveFeedId's slug, made unique against `taken` with "-2", "-3", ... (kept within the 64-character limit). */
export function uniqueFeedId(url: string, taken: ReadonlySet<string>): string {
  const base = deriveFeedId(url);
  if (!taken.has(base)) return base;
  for (let number = 2; ; number++) {
    const suffix = `-${number}`;
    const id = `${base.slice(0, 64 - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken.has(id)) return id;
  }
}
