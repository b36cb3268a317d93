// The regex implementation as it was at c75b0ab (before issue 9), kept verbatim as the oracle for
// tests/feeds/parse-text-passes.test.ts: the linear scans must give the same output on ordinary text.
/**
 * Lenient pre-processing of feed XML before the strict parser sees it. Real feeds break
 * XML 1.0 in a handful of recurring ways; each is mended here the way a feed reader would,
 * and nothing here ever expands a DTD entity (entity bombs and XXE stay inert).
 */
import { decodeHTML } from 'entities';

// Characters XML 1.0 forbids (§2.2): C0 controls except tab, LF, CR; and U+FFFE/U+FFFF.
const FORBIDDEN_CHARS = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g;
// Well-formed references (the five XML entities, in-range numeric ones) are skipped by the
// lookahead without a callback: escaped HTML is full of them, and this pass must stay cheap.
const LOOSE_AMPERSAND = '&(?!(?:amp|lt|gt|quot|apos|#[0-9]{1,6}|#[xX][0-9a-fA-F]{1,5});)';
const NEEDS_FIX = new RegExp(LOOSE_AMPERSAND);
const AMPERSAND_OUTSIDE_CDATA = new RegExp(
  '<!\\[CDATA\\[[\\s\\S]*?(?:\\]\\]>|$)|<!--[\\s\\S]*?(?:-->|$)' +
    `|${LOOSE_AMPERSAND}(?:(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{0,31})(;?))?`,
  'g',
);
const DOCTYPE = /<!DOCTYPE[^[>]*(?:\[[\s\S]*?\]\s*)?>/i;
const RSS1_NS = 'http://purl.org/rss/1.0/';
const ATOM_NS = 'http://www.w3.org/2005/Atom';

const htmlEntityCache = new Map<string, string>();

/** Returns XML that a strict parser accepts wherever the input was broken in a common, recoverable way. */
export function repairXml(input: string): string {
  let xml = dropProlog(input);
  // Vertical tab and form feed are whitespace: a space between words, as repair-xml.ts reads them now.
  xml = xml.replace(FORBIDDEN_CHARS, (char) => (char === '\v' || char === '\f' ? ' ' : ''));
  xml = fixEntities(xml);
  xml = stripRootPrefix(xml);
  xml = xhtmlAsText(xml);
  return closeTruncated(xml, rootElementName(xml));
}

/** Name of the document element, or null when there is none. */
export function rootElementName(xml: string): string | null {
  // The prolog (declaration, comments, DOCTYPE) is short; 64 KiB is plenty to find the root.
  const head = xml.slice(0, 64 * 1024).replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<![^>]*>/g, '');
  const match = /<([A-Za-z_][\w:.-]*)/.exec(head);
  return match?.[1] ?? null;
}

function dropProlog(input: string): string {
  const start = input.indexOf('<');
  let xml = start > 0 ? input.slice(start) : input;
  // The DTD is dropped whole: its entities are never expanded, its external parts never read.
  const doctype = DOCTYPE.exec(xml.slice(0, 64 * 1024));
  if (doctype) xml = xml.slice(0, doctype.index) + xml.slice(doctype.index + doctype[0].length);
  return xml;
}

/**
 * Escapes stray `&` and turns HTML named entities into numeric references, outside CDATA
 * sections and comments (whose text is literal). One regex pass: those sections match as a
 * whole and come back unchanged; well-formed references are skipped by the lookahead.
 */
function fixEntities(xml: string): string {
  // Most feeds have nothing to mend even inside CDATA: one cheap scan proves it.
  if (!NEEDS_FIX.test(xml)) return xml;
  return xml.replace(AMPERSAND_OUTSIDE_CDATA, (whole, name: string | undefined, semicolon: string | undefined) => {
    if (whole.charCodeAt(0) === 0x3c) return whole; // "<": a CDATA section or comment
    if (name === undefined) return '&amp;';
    if (name.startsWith('#')) return numericReference(name, whole);
    if (!semicolon) return `&amp;${name}`;
    return htmlEntity(name) ?? `&amp;${name};`;
  });
}

function numericReference(name: string, whole: string): string {
  const hex = name[1] === 'x' || name[1] === 'X';
  const code = Number.parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10);
  if (!isXmlChar(code)) return whole.endsWith(';') ? '' : `&amp;${name.slice(0)}`;
  return `&#${code};`;
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

const XHTML_CONSTRUCT = /<(title|subtitle|summary|content|rights)(\s[^>]*?\btype\s*=\s*["']xhtml["'][^>]*)>([\s\S]*?)<\/\1>/g;
const XHTML_WRAPPER = /^\s*<div\b[^>]*>([\s\S]*)<\/div>\s*$/;

/**
 * Atom type="xhtml" text (RFC 4287 §3.1.1.3) turned into a CDATA section of its markup: the
 * element tree would lose the order of mixed text and tags. The wrapping <div> is dropped.
 */
function xhtmlAsText(xml: string): string {
  if (!xml.includes('xhtml')) return xml;
  return xml.replace(XHTML_CONSTRUCT, (_whole, name: string, attrs: string, inner: string) => {
    const markup = (XHTML_WRAPPER.exec(inner)?.[1] ?? inner).trim().replace(/\]\]>/g, ']]]]><![CDATA[>');
    return `<${name}${attrs}><![CDATA[${markup}]]></${name}>`;
  });
}

/** `<rss:item>` (RSS 1.0) and `<atom:feed>` documents read as their unprefixed forms. */
function stripRootPrefix(xml: string): string {
  const declarations = xml.slice(0, 4096).matchAll(/xmlns:([\w.-]+)\s*=\s*["']([^"']+)["']/g);
  for (const [, prefix, uri] of declarations) {
    if (uri !== RSS1_NS && uri !== ATOM_NS) continue;
    if (uri === ATOM_NS && !xml.slice(0, 4096).includes(`<${prefix}:feed`)) continue;
    xml = xml.replace(new RegExp(`<(/?)${prefix}:`, 'g'), '<$1');
  }
  return xml;
}

/** A body cut off mid-item keeps its complete items: cut after the last one, close what is open. */
function closeTruncated(xml: string, root: string | null): string {
  if (!root || endsWithTag(xml, `</${root}>`)) return xml;
  const lastItemEnd = Math.max(xml.lastIndexOf('</item>') + 7, xml.lastIndexOf('</entry>') + 8);
  const cut = lastItemEnd > 8 ? lastItemEnd : xml.lastIndexOf('>') + 1;
  const kept = xml.slice(0, cut);
  return (
    kept +
    openElements(kept)
      .reverse()
      .map((name) => `</${name}>`)
      .join('')
  );
}

function endsWithTag(xml: string, tag: string): boolean {
  let end = xml.length;
  while (end > 0 && /\s/.test(xml[end - 1]!)) end--;
  return xml.startsWith(tag, end - tag.length);
}

function openElements(xml: string): string[] {
  const stack: string[] = [];
  const tags = /<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|<[?!][^>]*>|<(\/?)([A-Za-z_][\w:.-]*)(?:[^>"']|"[^"]*"|'[^']*')*?(\/?)>/g;
  for (const [, closing, name, selfClosing] of xml.matchAll(tags)) {
    if (!name || selfClosing) continue;
    if (!closing) stack.push(name);
    else if (stack.lastIndexOf(name) !== -1) stack.length = stack.lastIndexOf(name);
  }
  return stack;
}
