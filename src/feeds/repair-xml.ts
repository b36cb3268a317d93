/**
 * Lenient pre-processing of feed XML before the strict parser sees it. Real feeds break
 * XML 1.0 in a handful of recurring ways; each is mended here the way a feed reader would,
 * and nothing here ever expands a DTD entity (entity bombs and XXE stay inert).
 */
import { decodeHTML } from 'entities';
import { createFinder, type Finder } from '../markup-scan.ts';
import { createEntityExpander, type EntityDeclarations, readEntityDeclarations } from './dtd-entities.ts';
import { FeedParseError } from './feed-parse-error.ts';
import { windows1252 } from './decode-body.ts';
import { prefixRenames, renamePrefixes } from './canonical-prefixes.ts';
import { escapeStrayDeclarations, findDoctype, openElements, stripDeclarations } from './xml-scan.ts';

// Characters XML 1.0 forbids (§2.2): C0 controls except tab, LF, CR; and U+FFFE/U+FFFF.
// eslint-disable-next-line no-control-regex -- these control characters are the point
const FORBIDDEN_CHARS = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g;
/**
 * A forbidden character's replacement: vertical tab and form feed are whitespace, a space between
 * words ("Control\vchars" is two words, as a reader sees them); the rest are dropped.
 */
const dropForbidden = (char: string): string => (char === '\v' || char === '\f' ? ' ' : '');
const XML_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);
const RSS1_NS = 'http://purl.org/rss/1.0/';
const ATOM_NS = 'http://www.w3.org/2005/Atom';
// Namespaces UserLand and Harvard gave RSS 2.0; a few generators prefix the whole document with one.
const RSS2_NS = new Set(['http://backend.userland.com/rss2', 'http://backend.userland.com/rss', 'http://blogs.law.harvard.edu/tech/rss']);
// The prolog (declaration, comments, DOCTYPE) is short; 64 KiB is plenty to find the root.
const PROLOG_CHARS = 64 * 1024;
// A download cut short leaves a handful of elements open; thousands is a hostile document,
// and closing them all would only feed the parser a tree as deep as the text is long.
const MAX_OPEN_ELEMENTS = 1000;

const htmlEntityCache = new Map<string, string>();
const NO_ENTITIES = (): null => null;

/**
 * Returns XML that a strict parser accepts wherever the input was broken in a common, recoverable
 * way. Every pass is a linear scan: hostile text must not cost the square of its length.
 */
export function repairXml(input: string): string {
  const prolog = dropProlog(input);
  let xml = prolog.xml.replace(FORBIDDEN_CHARS, dropForbidden);
  xml = fixEntities(xml, createEntityExpander(prolog.entities));
  xml = escapeStrayDeclarations(xml);
  xml = stripRootPrefix(xml);
  xml = xhtmlAsText(xml);
  return closeTruncated(xml, rootElementName(xml));
}

/** Name of the document element, or null when there is none. */
export function rootElementName(xml: string): string | null {
  const head = xml.length > PROLOG_CHARS ? xml.slice(0, PROLOG_CHARS) : xml;
  return scanRootName(head) ?? strippedRootName(head);
}

/** What the first element name is in `head` once its declarations are stripped out (the reference reading). */
function strippedRootName(head: string): string | null {
  return /<([A-Za-z_][\w:.-]*)/.exec(stripDeclarations(head))?.[1] ?? null;
}

const ROOT_NAME = /^[A-Za-z_][\w:.-]*/;

/**
 * The first element's name, found by skipping declarations instead of copying the prolog without
 * them; undefined when the prolog is odd enough that removing a declaration could join text
 * around it (a `<` or a name right before one), which the reference reading then settles.
 */
function scanRootName(head: string): string | null | undefined {
  const piEnd = createFinder(head, '?>');
  const commentEnd = createFinder(head, '-->');
  const nextGt = createFinder(head, '>');
  for (let at = head.indexOf('<'); at !== -1; at = head.indexOf('<', at + 1)) {
    const next = head[at + 1];
    if (next === '<') return undefined;
    let end: number | undefined;
    if (next === '?') end = piEnd(at + 2)?.end;
    else if (next === '!') {
      if (head.startsWith('<!--', at)) end = commentEnd(at + 4)?.end;
      end ??= nextGt(at + 2)?.end;
    } else {
      const name = ROOT_NAME.exec(head.slice(at + 1, at + 257))?.[0];
      if (name === undefined) continue;
      return head[at + 1 + name.length] === '<' || name.length === 256 ? undefined : name;
    }
    if (end !== undefined) at = end - 1;
  }
  return null;
}

function dropProlog(input: string): { xml: string; entities: EntityDeclarations } {
  const start = input.indexOf('<');
  const xml = start > 0 ? input.slice(start) : input;
  // The DTD is dropped whole, its external parts never read; its internal entities are
  // expanded by fixEntities, within a budget (dtd-entities.ts).
  const doctype = findDoctype(xml.slice(0, PROLOG_CHARS));
  if (!doctype) return { xml, entities: new Map() };
  return {
    xml: xml.slice(0, doctype.index) + xml.slice(doctype.end),
    entities: readEntityDeclarations(xml.slice(doctype.index, doctype.end)),
  };
}

/**
 * Escapes stray `&`, turns HTML named entities into numeric references and drops references
 * to characters XML forbids (`&#1;`, `&#xFFFE;`: XML 1.0 §4.1 WFC: Legal Character, which a
 * strict parser would reject the whole feed for), outside CDATA sections and comments (whose
 * text is literal). One forward scan; well-formed references stay as they are.
 */
function fixEntities(xml: string, expand: (name: string) => string | null): string {
  const nextAmpersand = createFinder(xml, '&');
  const nextSection = createFinder(xml, '<!');
  const cdataEnd = createFinder(xml, ']]>');
  const commentEnd = createFinder(xml, '-->');
  const out: string[] = [];
  let copied = 0;
  let at = 0;
  for (let amp = nextAmpersand(at); amp !== null; amp = nextAmpersand(at)) {
    const section = nextSection(at);
    if (section !== null && section.index < amp.index) {
      const literalEnd = xml.startsWith('<![CDATA[', section.index)
        ? cdataEnd(section.index + 9)
        : xml.startsWith('<!--', section.index)
          ? commentEnd(section.index + 4)
          : section;
      // An unclosed section runs to the end of the text.
      if (literalEnd === null) break;
      at = literalEnd.end;
      continue;
    }
    const mended = mendReference(xml, amp.index, expand);
    if (mended.text !== null) {
      out.push(xml.slice(copied, amp.index), mended.text);
      copied = amp.index + mended.length;
    }
    at = amp.index + mended.length;
  }
  if (out.length === 0) return xml;
  out.push(xml.slice(copied));
  return out.join('');
}

const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;
const isHexDigit = (code: number): boolean => isDigit(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
const isLetter = (code: number): boolean => (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);

/**
 * The reference at `amp`: `length` characters, to be replaced by `text` (null: kept). Reads at
 * most 33 characters: a numeric reference of up to 8 digits, or a name of up to 32 characters.
 */
function mendReference(xml: string, amp: number, expand: (name: string) => string | null): { length: number; text: string | null } {
  // The five XML references are most of them (escaped HTML in every description): kept, read without slicing.
  const known = xmlReferenceLength(xml, amp);
  if (known > 0) return { length: known, text: null };
  if (xml[amp + 1] === '#') {
    const hex = xml[amp + 2] === 'x' || xml[amp + 2] === 'X';
    const digitsStart = amp + (hex ? 3 : 2);
    let end = digitsStart;
    while (end < digitsStart + 9 && (hex ? isHexDigit : isDigit)(xml.charCodeAt(end))) end++;
    const digits = end - digitsStart;
    if (digits === 0) return { length: 1, text: '&amp;' };
    if (digits <= (hex ? 5 : 6) && xml[end] === ';') {
      const code = Number.parseInt(xml.slice(digitsStart, end), hex ? 16 : 10);
      return { length: end + 1 - amp, text: isXmlChar(code) ? c1Reference(code) : '' };
    }
    const nameEnd = digitsStart + Math.min(digits, 8);
    const whole = xml.slice(amp, xml[nameEnd] === ';' ? nameEnd + 1 : nameEnd);
    return { length: whole.length, text: numericReference(xml.slice(amp + 1, nameEnd), whole) };
  }
  if (!isLetter(xml.charCodeAt(amp + 1))) return { length: 1, text: '&amp;' };
  let end = amp + 2;
  while (end < amp + 33 && (isLetter(xml.charCodeAt(end)) || isDigit(xml.charCodeAt(end)))) end++;
  const name = xml.slice(amp + 1, end);
  if (xml[end] !== ';') return { length: end - amp, text: `&amp;${name}` };
  if (XML_ENTITIES.has(name)) return { length: end + 1 - amp, text: null };
  // A declared entity's text is markup like the rest; its own references are mended in turn.
  const replacement = expand(name);
  if (replacement !== null) return { length: end + 1 - amp, text: fixEntities(replacement, NO_ENTITIES) };
  return { length: end + 1 - amp, text: htmlEntity(name) ?? `&amp;${name};` };
}

/** The length of `&lt;`, `&gt;`, `&amp;`, `&quot;` or `&apos;` at `amp`, else 0. */
function xmlReferenceLength(xml: string, amp: number): number {
  const first = xml.charCodeAt(amp + 1);
  if ((first === 0x6c || first === 0x67) && xml.charCodeAt(amp + 2) === 0x74 && xml.charCodeAt(amp + 3) === 0x3b) return 4; // lt; gt;
  if (first === 0x61) {
    if (xml.startsWith('mp;', amp + 2)) return 5;
    if (xml.startsWith('pos;', amp + 2)) return 6;
  }
  if (first === 0x71 && xml.startsWith('uot;', amp + 2)) return 6;
  return 0;
}

function numericReference(name: string, whole: string): string {
  const hex = name[1] === 'x' || name[1] === 'X';
  const code = Number.parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10);
  if (!isXmlChar(code)) return whole.endsWith(';') ? '' : `&amp;${name.slice(0)}`;
  return `&#${code};`;
}

/**
 * `&#146;` and the other references to C1 controls: what old Windows CMSes wrote for the
 * windows-1252 character of that byte (’ “ ” – € …). HTML reads them so, as do browsers and
 * feedparser; an XML parser would make invisible controls of them. Null: keep the reference.
 */
function c1Reference(code: number): string | null {
  if (code < 0x80 || code > 0x9f) return null;
  const mapped = windows1252(code).charCodeAt(0);
  return mapped === code ? null : `&#${mapped};`;
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/** `&eacute;` and friends, which HTML knows and XML does not, as numeric references. */
function htmlEntity(name: string): string | null {
  let cached = htmlEntityCache.get(name);
  if (cached === undefined) {
    const decoded = decodeHTML(`&${name};`);
    cached = decoded === `&${name};` ? '' : [...decoded].map((ch) => `&#${ch.codePointAt(0)};`).join('');
    htmlEntityCache.set(name, cached);
  }
  return cached || null;
}

const XHTML_CONSTRUCT_OPEN = /<(title|subtitle|summary|content|rights)[\t\n\r ]/g;
const XHTML_TYPE = /\btype[\t\n\r ]*=[\t\n\r ]*["']xhtml["']/g;

/**
 * Atom type="xhtml" text (RFC 4287 §3.1.1.3) turned into a CDATA section of its markup: the
 * element tree would lose the order of mixed text and tags. The wrapping <div> is dropped.
 * Scans as `/<(title|…|rights)(\s[^>]*?\btype\s*=\s*["']xhtml["'][^>]*)>([\s\S]*?)<\/\1>/g` would.
 */
function xhtmlAsText(xml: string): string {
  if (!xml.includes('xhtml')) return xml;
  const open = createFinder(xml, XHTML_CONSTRUCT_OPEN);
  const nextGt = createFinder(xml, '>');
  const xhtmlType = createFinder(xml, XHTML_TYPE);
  const closers = new Map<string, Finder>();
  const out: string[] = [];
  let copied = 0;
  let from = 0;
  for (let found = open(from); found !== null; found = open(from)) {
    from = found.index + 1;
    const attrsStart = found.end - 1;
    const gt = nextGt(attrsStart);
    if (gt === null) break;
    const type = xhtmlType(attrsStart + 1);
    if (type === null || type.index > gt.index) continue;
    const name = xml.slice(found.index + 1, attrsStart);
    let close = closers.get(name);
    if (!close) closers.set(name, (close = createFinder(xml, `</${name}>`)));
    // Without a closing tag this element (and any later one of its name) stays as it is.
    const end = close(gt.end);
    if (end === null) continue;
    const markup = unwrapDiv(xml.slice(gt.end, end.index)).trim().replace(/\]\]>/g, ']]]]><![CDATA[>');
    out.push(xml.slice(copied, found.index), `<${name}${xml.slice(attrsStart, gt.index)}><![CDATA[${markup}]]></${name}>`);
    copied = from = end.end;
  }
  if (out.length === 0) return xml;
  out.push(xml.slice(copied));
  return out.join('');
}

/** The inside of a wrapping `<div …>…</div>` (what `/^\s*<div\b[^>]*>([\s\S]*)<\/div>\s*$/` captures), else `inner`. */
function unwrapDiv(inner: string): string {
  const start = inner.length - inner.trimStart().length;
  if (!inner.startsWith('<div', start) || /\w/.test(inner[start + 4] ?? '')) return inner;
  const gt = inner.indexOf('>', start + 4);
  const body = inner.trimEnd();
  if (gt === -1 || !body.endsWith('</div>') || body.length - 6 < gt + 1) return inner;
  return body.slice(gt + 1, -6);
}

/**
 * `<rss:item>` (RSS 1.0), `<atom:feed>` and `<r:rss>` (RSS 2.0) documents read as their
 * unprefixed forms, and extension elements under their usual prefixes (canonical-prefixes.ts).
 */
function stripRootPrefix(xml: string): string {
  const head = xml.slice(0, 4096);
  for (const prefix of prefixesToStrip(head)) {
    xml = xml.replace(new RegExp(`<(/?)${prefix.replace(/\./g, '\\.')}:`, 'g'), '<$1');
  }
  return renamePrefixes(xml, prefixRenames([...head.matchAll(NAMESPACE_DECLARATION)].map(([, prefix, uri]) => [prefix!, uri!] as const)));
}

/** The prefixes stripRootPrefix strips when `head` is the start of the document. */
function prefixesToStrip(head: string): string[] {
  const prefixes: string[] = [];
  for (const [, prefix, uri] of head.matchAll(NAMESPACE_DECLARATION)) {
    const rss2 = RSS2_NS.has(uri!);
    if (uri !== RSS1_NS && uri !== ATOM_NS && !rss2) continue;
    if (uri === ATOM_NS && !head.includes(`<${prefix}:feed`)) continue;
    if (rss2 && !head.includes(`<${prefix}:rss`)) continue;
    prefixes.push(prefix!);
  }
  return prefixes;
}

/**
 * Whether repairXml could strip a prefix from `xml` or from a document cut out of it: whether
 * its start would make it do so anywhere in it (what a cut brings to the start is not known).
 * Linear: past a few candidate prefixes it answers yes instead of looking for each.
 */
export function mayStripPrefixes(xml: string): boolean {
  const candidates = new Set<string>();
  for (const [prefix, uri] of namespaceDeclarations(xml)) {
    if (uri === RSS1_NS || prefixRenames([[prefix, uri]]).length > 0) return true;
    if (uri === ATOM_NS) candidates.add(`<${prefix}:feed`);
    else if (RSS2_NS.has(uri)) candidates.add(`<${prefix}:rss`);
    if (candidates.size > MAX_PREFIX_CANDIDATES) return true;
  }
  return [...candidates].some((tag) => xml.includes(tag));
}

/**
 * Each `xmlns:prefix="uri"` in `xml`, as NAMESPACE_DECLARATION reads it, found by a substring
 * search (the regex scanning all of an 85 KB document took 0.15 ms; a feed declares a few).
 */
function* namespaceDeclarations(xml: string): Generator<[string, string]> {
  for (let at = xml.indexOf('xmlns:'); at !== -1; at = xml.indexOf('xmlns:', at + 6)) {
    NAMESPACE_DECLARATION_AT.lastIndex = at;
    const match = NAMESPACE_DECLARATION_AT.exec(xml);
    if (match) yield [match[1]!, match[2]!];
  }
}

/** More candidate prefixes than this in one document is a hostile one: read as text. */
const MAX_PREFIX_CANDIDATES = 8;
const NAMESPACE_DECLARATION = /xmlns:([\w.-]+)[\t\n\r ]*=[\t\n\r ]*["']([^"']+)["']/g;
const NAMESPACE_DECLARATION_AT = new RegExp(NAMESPACE_DECLARATION.source, 'y');

/**
 * Whether repairXml mends every part of `xml` (a document whose items childElementSpans found,
 * in strict mode) as it would mend that part in any document cut from it at its items: true
 * when nothing it does reaches across items. Not so with a character it drops (which can join
 * markup), a type="xhtml" construct (found by a regex that does not know comments or
 * self-closing tags), a prefix it strips, or an end after the root's close tag other than
 * white space and comments (read as a truncated document, cut after its last item).
 */
export function repairsItemByItem(xml: string, root: string): boolean {
  if (FORBIDDEN_CHAR.test(xml) || FORBIDDEN_AS_LATIN1.some((bytes) => xml.includes(bytes))) return false;
  if ((xml.includes('xhtml') && XHTML_TYPE_ANYWHERE.test(xml)) || isTruncated(xml, root)) return false;
  return !mayStripPrefixes(xml);
}

const FORBIDDEN_CHAR = new RegExp(FORBIDDEN_CHARS.source);
/**
 * XML's white space (§2.3 S), not JavaScript's `\s`: U+00A0 and the other Unicode spaces are
 * no white space in markup, and read from bytes as latin1 they would not even be one character.
 */
const isXmlSpace = (code: number): boolean => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
/** U+FFFE and U+FFFF as their UTF-8 bytes read as latin1 (how the byte cut sees a document). */
const FORBIDDEN_AS_LATIN1 = ['\u00ef\u00bf\u00be', '\u00ef\u00bf\u00bf'];
const XHTML_TYPE_ANYWHERE = new RegExp(XHTML_TYPE.source);

/** A body cut off mid-item keeps its complete items: cut after the last one, close what is open. */
function closeTruncated(xml: string, root: string | null): string {
  if (!root || !isTruncated(xml, root)) return xml;
  const lastItemEnd = Math.max(xml.lastIndexOf('</item>') + 7, xml.lastIndexOf('</entry>') + 8);
  const cut = lastItemEnd > 8 ? lastItemEnd : xml.lastIndexOf('>') + 1;
  const kept = xml.slice(0, cut);
  const open = openElements(kept);
  if (open.length > MAX_OPEN_ELEMENTS) {
    throw new FeedParseError(`malformed XML: the document ends with ${open.length} elements still open (a feed cut short leaves a few)`);
  }
  return (
    kept +
    open
      .reverse()
      .map((name) => `</${name}>`)
      .join('')
  );
}

/**
 * Whether `xml` does not end with its root's close tag, past white space and comments (a page
 * cache's "generated in 0.2 s" after `</rss>` is no truncation).
 */
function isTruncated(xml: string, root: string): boolean {
  const tag = `</${root}>`;
  const close = xml.lastIndexOf(tag);
  if (close === -1) return true;
  // A close tag in a CDATA section or comment left open is text: the download was cut there.
  if (openAt(xml, close, '<![CDATA[', ']]>') || openAt(xml, close, '<!--', '-->')) return true;
  for (let at = close + tag.length; ;) {
    while (at < xml.length && isXmlSpace(xml.charCodeAt(at))) at++;
    if (at === xml.length) return false;
    if (!xml.startsWith('<!--', at)) return true;
    const end = xml.indexOf('-->', at + 4);
    if (end === -1) return true;
    at = end + 3;
  }
}

/** Whether a section opened by `open` is still open at `at` (searched forward first: most documents have none, or close it near the end). */
function openAt(xml: string, at: number, open: string, close: string): boolean {
  const first = xml.indexOf(open);
  if (first === -1 || first >= at) return false;
  const opened = xml.indexOf(open, Math.max(first, xml.lastIndexOf(close, at)));
  return opened !== -1 && opened < at;
}
