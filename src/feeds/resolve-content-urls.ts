/**
 * Relative URLs in an Atom entry's HTML made absolute against the xml:base the feed declares
 * for it (RFC 4287 §2 and XML Base): `<a href="../other">` under `xml:base="https://x.example/blog/"`
 * is https://x.example/other, as feedparser and other Atom readers take it. Without this the
 * publishing side resolves it against the entry's link (posts/…), another page. Only the
 * attributes republished content keeps (a href, img src: sanitize-content.ts) are resolved;
 * fragments (`#note-1`, a place in the article itself), URLs with a scheme, and what would not
 * be an http(s) URL stay as they are.
 *
 * Tags are read as the sanitizer's parser (htmlparser2, the HTML tokenizer's rules) reads them:
 * a quoted value may hold `>` or text that looks like an attribute (`alt="see src=here"`),
 * which is no attribute; comments and script or style text hold no tags. One pass, linear
 * time whatever the markup: every search starts past the end of the last one.
 */
import { decodeAttributeEntities } from '../html-text.ts';

/** Tags whose URL attribute is kept by the sanitizer, and the attributes resolved in them. */
const URL_TAGS = new Set(['a', 'img']);
const URL_ATTRIBUTES = new Set(['href', 'src']);
/** Elements whose text is no markup (htmlparser2's special tags): read up to their closing tag. */
const RAW_TEXT = new Set(['script', 'style', 'title', 'textarea', 'xmp']);

/** A start tag: its lower-case name, where it ends, and the values of its URL attributes (`[start, end)` as written, quotes included). */
interface StartTag {
  name: string;
  end: number;
  selfClosing: boolean;
  urls: Array<{ start: number; end: number; written: string }>;
}

/** `html` with the relative href of its links and src of its images resolved against `base`. */
export function resolveContentUrls(html: string, base: string): string {
  if (!html.includes('<')) return html;
  const edits: Array<[start: number, end: number, text: string]> = [];
  for (let at = html.indexOf('<'); at !== -1;) {
    const next = html[at + 1] ?? '';
    let end: number; // past this tag, comment or declaration; -1: it never ends (nor does anything after it)
    if (/[A-Za-z]/.test(next)) {
      const tag = readStartTag(html, at + 1);
      if (tag === null) break; // never closed: the parser drops it with everything after
      if (URL_TAGS.has(tag.name)) {
        for (const url of tag.urls) {
          const resolved = resolveValue(url.written, base);
          if (resolved !== null) edits.push([url.start, url.end, `"${resolved.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}"`]);
        }
      }
      end = RAW_TEXT.has(tag.name) && !tag.selfClosing ? rawTextEnd(html, tag.name, tag.end) : tag.end;
    } else if (html.startsWith('<!--', at)) end = after(html, '-->', at + 2);
    else if (html.startsWith('<![CDATA[', at)) end = after(html, ']]>', at + 9);
    else if (next === '!' || next === '?' || next === '/') end = after(html, '>', at + 2);
    else {
      at = html.indexOf('<', at + 1); // a `<` in text
      continue;
    }
    if (end === -1) break;
    at = html.indexOf('<', end);
  }
  if (edits.length === 0) return html;
  const out: string[] = [];
  let copied = 0;
  for (const [start, end, text] of edits) {
    out.push(html.slice(copied, start), text);
    copied = end;
  }
  out.push(html.slice(copied));
  return out.join('');
}

const isSpace = (char: string | undefined): boolean => char === ' ' || char === '\t' || char === '\n' || char === '\r' || char === '\f';
const endsName = (char: string | undefined): boolean => char === '/' || char === '>' || isSpace(char);

/** The start tag whose name begins at `start`; null when it never ends (an unclosed tag or quote). */
function readStartTag(html: string, start: number): StartTag | null {
  let at = start;
  while (at < html.length && !endsName(html[at])) at++;
  const tag: StartTag = { name: html.slice(start, at).toLowerCase(), end: -1, selfClosing: false, urls: [] };
  let slash = false;
  for (;;) {
    // Between attributes: white space, and `/` (self-closing when only white space is left before `>`).
    for (; at < html.length && (isSpace(html[at]) || html[at] === '/'); at++) slash ||= html[at] === '/';
    if (at >= html.length) return null;
    if (html[at] === '>') return { ...tag, end: at + 1, selfClosing: slash };
    slash = false;
    // An attribute: its name (a first `=` included), then maybe `=` and a value.
    const nameStart = at;
    at++;
    while (at < html.length && html[at] !== '=' && !endsName(html[at])) at++;
    const name = html.slice(nameStart, at).toLowerCase();
    while (at < html.length && isSpace(html[at])) at++;
    if (html[at] !== '=') continue;
    at++;
    while (at < html.length && isSpace(html[at])) at++;
    const valueStart = at;
    let written: string;
    const quote = html[at];
    if (quote === '"' || quote === "'") {
      const close = html.indexOf(quote, at + 1);
      if (close === -1) return null;
      written = html.slice(at + 1, close);
      at = close + 1;
    } else {
      while (at < html.length && html[at] !== '>' && !isSpace(html[at])) at++;
      written = html.slice(valueStart, at);
    }
    if (URL_ATTRIBUTES.has(name) && at > valueStart) tag.urls.push({ start: valueStart, end: at, written });
  }
}

/** Past the first `needle` at or after `from`; -1 when there is none. */
function after(html: string, needle: string, from: number): number {
  const index = html.indexOf(needle, from);
  return index === -1 ? -1 : index + needle.length;
}

/** Where the closing tag of the raw-text element `name` starts, from `from`; -1 when there is none. */
function rawTextEnd(html: string, name: string, from: number): number {
  const close = new RegExp(`</${name}(?=[\\s/>]|$)`, 'gi');
  close.lastIndex = from;
  return close.exec(html)?.index ?? -1;
}

/** The absolute http(s) URL of a relative attribute value (as written, entities and all), or null to keep it. */
function resolveValue(written: string, base: string): string | null {
  const value = decodeAttributeEntities(written).trim();
  // Empty, a fragment of the page itself, or already absolute (http:, mailto:, data:…).
  if (value === '' || value.startsWith('#') || /^[a-z][a-z\d+.-]*:/i.test(value)) return null;
  try {
    const url = new URL(value, base);
    // Another scheme is no resolved link: a base of javascript: or file:, or a value the URL
    // parser reads as absolute once it drops tabs and newlines (`java\nscript:`).
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
