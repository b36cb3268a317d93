/**
 * Relative URLs in an Atom entry's HTML made absolute against the xml:base the feed declares
 * for it (RFC 4287 §2 and XML Base): `<a href="../other">` under `xml:base="https://x.example/blog/"`
 * is https://x.example/other, as feedparser and other Atom readers take it. Without this the
 * publishing side resolves it against the entry's link (posts/…), another page. Only the
 * attributes republished content keeps (a href, img src: sanitize-content.ts) are resolved;
 * fragments (`#note-1`, a place in the article itself) and URLs with a scheme stay as they
 * are. Linear time, whatever the markup: tags are found with markup-scan's finders.
 */
import { decodeEntities } from '../html-text.ts';
import { createFinder } from '../markup-scan.ts';

/** A URL attribute within one tag: its lead (` href =`) and its value, quoted or bare. */
const URL_ATTRIBUTE = /(\s(?:href|src)[ \t\n\r\f]*=[ \t\n\r\f]*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/gi;
/** Tags whose URL attribute is kept by the sanitizer. */
const URL_TAGS = new Set(['a', 'img']);

/** `html` with the relative href of its links and src of its images resolved against `base`. */
export function resolveContentUrls(html: string, base: string): string {
  if (!html.includes('<')) return html;
  const nextGt = createFinder(html, '>');
  const out: string[] = [];
  let copied = 0;
  let at = html.indexOf('<');
  while (at !== -1) {
    if (!URL_TAGS.has(tagNameAt(html, at + 1))) {
      at = html.indexOf('<', at + 1);
      continue;
    }
    const gt = nextGt(at + 1);
    if (gt === null) break; // no tag ends after this one
    const tag = html.slice(at, gt.end);
    const resolved = tag.replace(URL_ATTRIBUTE, (whole, lead: string, double?: string, single?: string, bare?: string) => {
      const url = resolveValue(double ?? single ?? bare ?? '', base);
      return url === null ? whole : `${lead}"${url.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}"`;
    });
    if (resolved !== tag) {
      out.push(html.slice(copied, at), resolved);
      copied = gt.end;
    }
    at = html.indexOf('<', gt.end);
  }
  if (copied === 0) return html;
  out.push(html.slice(copied));
  return out.join('');
}

/** The lower-case name of the tag opening at `start` (after its `<`), or '' when none does. */
function tagNameAt(html: string, start: number): string {
  let end = start;
  while (end < html.length && end - start <= 3 && /[A-Za-z]/.test(html[end]!)) end++;
  const next = html[end];
  // A whole name: what follows is a space, `/` or `>` (`<abbr>` is not `<a>`).
  return end > start && (next === undefined || /[\s/>]/.test(next)) ? html.slice(start, end).toLowerCase() : '';
}

/** The absolute URL of a relative attribute value (as written, entities and all), or null to keep it. */
function resolveValue(written: string, base: string): string | null {
  const value = decodeEntities(written).trim();
  // Empty, a fragment of the page itself, or already absolute (http:, mailto:, data:…).
  if (value === '' || value.startsWith('#') || /^[a-z][a-z\d+.-]*:/i.test(value)) return null;
  try {
    return new URL(value, base).href;
  } catch {
    return null;
  }
}
