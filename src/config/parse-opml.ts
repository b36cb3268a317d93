/**
 * The subscriptions of an OPML 1.0 or 2.0 file (http://opml.org/spec2.opml): every `<outline>`
 * with an `xmlUrl`, with the folders (enclosing outlines) it sits in and its `category`
 * attribute. A small tag scanner rather than an XML parser, because real exports are often not
 * well-formed (raw `&` in URLs, HTML entities, truncated files) and only attributes matter.
 * Strict at the root (it must be `<opml>`), lenient below. Pure.
 */
import { decodeHTMLAttribute } from 'entities';

export interface OpmlSubscription {
  /** `xmlUrl` as written (not yet checked to be a URL). */
  url: string;
  /** `text`, else `title`: the name the reader showed. */
  title: string | null;
  description: string | null;
  htmlUrl: string | null;
  /** Names of the enclosing folder outlines, outermost first. */
  folders: string[];
  /** The `category` attribute's entries: comma-separated, each maybe a "/a/b" path. */
  categories: string[];
}

/** The file is not OPML at all. */
export class OpmlParseError extends Error {
  override name = 'OpmlParseError';
}

// Skipped whole: comments, CDATA, processing instructions, other declarations.
const TOKEN = new RegExp(
  [
    '<!--[\\s\\S]*?(?:-->|$)',
    '<!\\[CDATA\\[[\\s\\S]*?(?:\\]\\]>|$)',
    '<\\?[\\s\\S]*?(?:\\?>|$)',
    '<![^>]*(?:>|$)',
    '<\\/([A-Za-z_][\\w:.-]*)\\s*>',
    // Names and unquoted values stop at "<", so a tag left open cannot make every later "<" rescan the rest.
    '<([A-Za-z_][\\w:.-]*)((?:\\s+[^\\s=/<>]+(?:\\s*=\\s*(?:"[^"]*"|\'[^\']*\'|[^\\s"\'<>]+))?)*)\\s*(\\/?)>',
  ].join('|'),
  'gi',
);
const ATTRIBUTE = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;

/** Reads the subscriptions of an OPML document, in document order. */
export function parseOpml(input: string): OpmlSubscription[] {
  const text = dropDoctype(input);
  const subscriptions: OpmlSubscription[] = [];
  // One entry per open <outline>: its folder name, or null for a feed or a nameless outline.
  const open: Array<string | null> = [];
  let root: string | null = null;
  let inBody = false;
  for (const match of text.matchAll(TOKEN)) {
    const [, closing, name, attributeText, selfClosing] = match;
    const element = (closing ?? name)?.toLowerCase();
    if (element === undefined) continue;
    if (root === null) {
      if (closing !== undefined) continue;
      root = element;
      if (root !== 'opml') throw new OpmlParseError(`not an OPML file: the document is ${describeRoot(root)}`);
      continue;
    }
    if (element === 'body') inBody = closing === undefined && selfClosing !== '/';
    if (element !== 'outline' || !inBody) continue;
    if (closing !== undefined) {
      open.pop();
      continue;
    }
    const attributes = readAttributes(attributeText ?? '');
    const url = attributes.get('xmlurl') ?? (/^(rss|atom)$/i.test(attributes.get('type') ?? '') ? attributes.get('url') : undefined);
    const title = clean(attributes.get('text')) ?? clean(attributes.get('title'));
    if (url !== undefined && url.trim() !== '') {
      subscriptions.push({
        url: url.trim(),
        title,
        description: clean(attributes.get('description')),
        htmlUrl: clean(attributes.get('htmlurl')),
        folders: open.filter((folder): folder is string => folder !== null),
        categories: (attributes.get('category') ?? '')
          .split(',')
          .map((entry) => entry.trim())
          .filter((entry) => entry !== ''),
      });
    }
    if (selfClosing !== '/') open.push(url === undefined ? title : null);
  }
  if (root === null) throw new OpmlParseError('not an OPML file: no XML element found');
  return subscriptions;
}

/** The DTD goes whole, once (its entities are never expanded): its internal subset may hold "<" and ">". */
function dropDoctype(text: string): string {
  const start = text.slice(0, 64 * 1024).search(/<!DOCTYPE/i);
  if (start === -1) return text;
  const bracket = text.indexOf('[', start);
  let end = text.indexOf('>', start);
  if (bracket !== -1 && (end === -1 || bracket < end)) {
    const close = text.indexOf(']', bracket);
    end = close === -1 ? -1 : text.indexOf('>', close);
  }
  // An unterminated DTD swallows the rest, as it would in an XML parser.
  return end === -1 ? text.slice(0, start) : text.slice(0, start) + text.slice(end + 1);
}

/** Attribute names lower-cased (exports disagree on `xmlUrl` vs `xmlurl`); values with entities decoded. */
function readAttributes(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const [, name, ...values] of text.matchAll(ATTRIBUTE)) {
    const raw = values.find((value) => value !== undefined) ?? '';
    attributes.set(name!.toLowerCase(), decodeHTMLAttribute(raw));
  }
  return attributes;
}

function clean(value: string | undefined): string | null {
  const text = value?.replace(/\s+/g, ' ').trim();
  return text ? text : null;
}

function describeRoot(root: string): string {
  if (root === 'rss' || root === 'feed' || root === 'rdf:rdf')
    return `a feed (<${root}>), not a subscription list; add it with "columnwire feeds add URL"`;
  if (root === 'html') return 'an HTML page';
  return `XML with root <${root}>, not <opml>`;
}
