/**
 * Linear scans over raw feed XML for repair-xml.ts: the DOCTYPE, the markup before the root
 * element, and the elements a truncated body leaves open. Each matches what a simple regex
 * would, but remembers where the next terminator is (markup-scan.ts), so text without one
 * (`<!--` or `<a "` repeated) costs one pass instead of the square of its length.
 */
import { createFinder, type Finder } from '../markup-scan.ts';

/**
 * Where the document type declaration is: a `<!DOCTYPE …>` (with its internal subset) in the
 * prolog, as `/<!DOCTYPE[^[>]*(?:\[[\s\S]*?\]\s*)?>/i` matches it there. Only the prolog counts
 * (XML 1.0 §2.8): a `<!DOCTYPE` quoted in a comment, or in CDATA after the root, is text.
 */
export function findDoctype(xml: string): { index: number; end: number } | null {
  let at = 0;
  for (;;) {
    while (at < xml.length && /\s/.test(xml[at]!)) at++;
    if (xml.startsWith('<?', at)) at = endOf(xml, '?>', at + 2);
    else if (xml.startsWith('<!--', at)) at = endOf(xml, '-->', at + 4);
    else break;
    if (at === -1) return null;
  }
  if (xml.slice(at, at + 9).toUpperCase() !== '<!DOCTYPE') return null;
  const stop = /[[>]/g;
  stop.lastIndex = at + 9;
  const first = stop.exec(xml);
  if (first === null) return null;
  if (first[0] === '>') return { index: at, end: first.index + 1 };
  const subsetEnd = /\]\s*>/g;
  subsetEnd.lastIndex = first.index + 1;
  const end = subsetEnd.exec(xml);
  return end === null ? null : { index: at, end: end.index + end[0].length };
}

/** The index just past the first `terminator` at or after `from`, or -1. */
function endOf(xml: string, terminator: string, from: number): number {
  const found = xml.indexOf(terminator, from);
  return found === -1 ? -1 : found + terminator.length;
}

/**
 * `head` without processing instructions, comments and `<!…>` declarations, as
 * `head.replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<![^>]*>/g, '')` gives it.
 */
export function stripDeclarations(head: string): string {
  const piEnd = createFinder(head, '?>');
  const commentEnd = createFinder(head, '-->');
  const nextGt = createFinder(head, '>');
  const out: string[] = [];
  let copied = 0;
  for (let at = head.indexOf('<'); at !== -1; at = head.indexOf('<', at + 1)) {
    let end: number | undefined;
    if (head[at + 1] === '?') end = piEnd(at + 2)?.end;
    else if (head[at + 1] === '!') {
      if (head.startsWith('<!--', at)) end = commentEnd(at + 4)?.end;
      end ??= nextGt(at + 2)?.end;
    }
    if (end === undefined) continue;
    out.push(head.slice(copied, at));
    copied = end;
    at = end - 1;
  }
  if (copied === 0) return head;
  out.push(head.slice(copied));
  return out.join('');
}

const NAME_START = /[A-Za-z_]/;
/**
 * `[\w:.-]` and every character past ASCII (XML allows most in names: `<itemé>` is no
 * `item`), by code (a regex test per character was a third of the scan).
 */
const isNameChar = (code: number): boolean =>
  (code >= 0x61 && code <= 0x7a) ||
  (code >= 0x41 && code <= 0x5a) ||
  (code >= 0x30 && code <= 0x3a) ||
  code === 0x5f ||
  code === 0x2e ||
  code === 0x2d ||
  code >= 0x80;

/**
 * Names of the elements still open at the end of `xml`, outermost first. CDATA sections,
 * comments, PIs and declarations are skipped; a tag ends at its first `>` outside quotes.
 * A `<` inside a tag, or a quote that never closes, ends that tag as broken (XML allows
 * neither): the scan moves on from there, so it never rereads text.
 */
export function openElements(xml: string): string[] {
  const cdataEnd = createFinder(xml, ']]>');
  const commentEnd = createFinder(xml, '-->');
  const nextGt = createFinder(xml, '>');
  const quotes = { '"': createFinder(xml, '"'), "'": createFinder(xml, "'") };
  const stack: string[] = [];
  // How many of each name are open, so a closing tag finds its element in O(1).
  const openCount = new Map<string, number>();
  let at = xml.indexOf('<');
  while (at !== -1) {
    let next: number;
    let end: number | undefined;
    if (xml.startsWith('<![CDATA[', at)) end = cdataEnd(at + 9)?.end;
    else if (xml.startsWith('<!--', at)) end = commentEnd(at + 4)?.end;
    if (end === undefined && (xml[at + 1] === '?' || xml[at + 1] === '!')) end = nextGt(at + 2)?.end;
    if (end !== undefined) next = end;
    else {
      const tag = readTag(xml, at, quotes);
      next = tag.next;
      if (tag.name !== null && !tag.selfClosing) {
        if (!tag.closing) {
          stack.push(tag.name);
          openCount.set(tag.name, (openCount.get(tag.name) ?? 0) + 1);
        } else if (openCount.get(tag.name)) {
          // Close the innermost element of that name and everything opened inside it.
          for (let popped = stack.pop(); ; popped = stack.pop()) {
            openCount.set(popped!, openCount.get(popped!)! - 1);
            if (popped === tag.name) break;
          }
        }
      }
    }
    at = xml.indexOf('<', next);
  }
  return stack;
}

type QuoteFinders = Record<'"' | "'", Finder>;
type Tag = {
  name: string | null;
  closing: boolean;
  selfClosing: boolean;
  next: number;
  /** A `<` in an attribute value (only looked for when readTag is given where they are). */
  ltInValue?: true;
};

/**
 * The start or end tag at `at` (a `<`); `name` is null when there is none, `next` is where
 * scanning resumes. `lt`, when given, finds each `<`: a value holding one is marked.
 */
function readTag(xml: string, at: number, quotes: QuoteFinders, lt?: Finder): Tag {
  const closing = xml[at + 1] === '/';
  let index = at + (closing ? 2 : 1);
  if (!NAME_START.test(xml[index] ?? '')) return brokenTag(closing, at + 1);
  const nameStart = index;
  while (index < xml.length && isNameChar(xml.charCodeAt(index))) index++;
  const name = xml.slice(nameStart, index);
  let slash = false;
  let ltInValue = false;
  while (index < xml.length) {
    const char = xml[index]!;
    if (char === '>') return { name, closing, selfClosing: slash, next: index + 1, ...(ltInValue ? { ltInValue } : {}) };
    if (char === '<') return brokenTag(closing, index);
    if (char === '"' || char === "'") {
      const close = quotes[char](index + 1);
      if (close === null) return brokenTag(closing, index + 1);
      if (lt && (lt(index + 1)?.index ?? xml.length) < close.index) ltInValue = true;
      index = close.end;
      slash = false;
      continue;
    }
    slash = char === '/';
    index++;
  }
  return brokenTag(closing, index);
}

/** No tag after all: scanning resumes at `next`. */
function brokenTag(closing: boolean, next: number): Tag {
  return { name: null, closing, selfClosing: false, next };
}

/**
 * `xml` with each `<!` that opens neither a comment, a CDATA section nor (before the root
 * element) a DOCTYPE escaped as `&lt;!`; comments and CDATA sections are left as they are.
 * sax reads any other `<!` as an SGML declaration and upper-cases the whole growing
 * declaration at every character, so `<!` repeated costs the square of its length (and
 * XML 1.0 §2.8 allows no other declaration in a document's content anyway).
 */
export function escapeStrayDeclarations(xml: string): string {
  const cdataEnd = createFinder(xml, ']]>');
  const commentEnd = createFinder(xml, '-->');
  const rootStart = xml.search(/<[A-Za-z_:]/);
  // Without an element the document is refused before sax reads it.
  if (rootStart === -1) return xml;
  const out: string[] = [];
  let copied = 0;
  for (let at = xml.indexOf('<!'); at !== -1; at = xml.indexOf('<!', at)) {
    if (xml.startsWith('<!--', at) || xml.startsWith('<![CDATA[', at)) {
      const end = xml[at + 2] === '-' ? commentEnd(at + 4) : cdataEnd(at + 9);
      // An unclosed comment or section runs to the end of the text: nothing after it is markup.
      if (end === null) break;
      at = end.end;
      continue;
    }
    if (at < rootStart && xml.slice(at, at + 9).toUpperCase() === '<!DOCTYPE') {
      // A DOCTYPE left in the prolog (dropProlog removes every complete one) is the DTD up
      // to the root: its `<!ENTITY` declarations are sax's to read, linearly, as DTD text.
      at = rootStart;
      continue;
    }
    out.push(xml.slice(copied, at), '&lt;');
    copied = at + 1;
    at += 2;
  }
  if (copied === 0) return xml;
  out.push(xml.slice(copied));
  return out.join('');
}

/**
 * Where the elements that a feed's tree reads as its items are in well-formed `xml` (repairXml's
 * output): the `name` children of the element at `parentPath` (element names from the root,
 * the first of each), as [start, end) spans in document order. Null for anything this scan
 * does not read exactly as the XML parser would (a DOCTYPE, a broken or mismatched tag, a second
 * parent element of that name, or no such parent), so the caller reads the whole document.
 */
export function childElementSpans(
  xml: string,
  parentPath: readonly string[],
  name: string,
  options: { strict?: boolean } = {},
): Array<[number, number]> | null {
  // Strict: also null for a `<` in an attribute value or a PI, which a pass that does not know
  // them (repair-xml.ts's entity mending) could read as the start of a comment or CDATA section.
  const lt = options.strict ? createFinder(xml, '<') : undefined;
  const cdataEnd = createFinder(xml, ']]>');
  const commentEnd = createFinder(xml, '-->');
  const piEnd = createFinder(xml, '?>');
  const quotes = { '"': createFinder(xml, '"'), "'": createFinder(xml, "'") };
  const stack: string[] = [];
  const spans: Array<[number, number]> = [];
  /** Whether the open element at each depth is on parentPath (the first element of that name there). */
  const onPath: boolean[] = [];
  /** Elements of each path name seen at its depth (a second one is not read as the parent). */
  const seenAtDepth = new Map<number, number>();
  let itemStart = -1;
  let at = xml.indexOf('<');
  while (at !== -1) {
    // A CDATA section, comment or PI is skipped whole; one left open is not read as the parser would.
    const markup = xml.startsWith('<![CDATA[', at)
      ? cdataEnd(at + 9)
      : xml.startsWith('<!--', at)
        ? commentEnd(at + 4)
        : xml[at + 1] === '?'
          ? piEnd(at + 2)
          : undefined;
    if (markup === null) return null;
    if (markup !== undefined) {
      if (lt && xml[at + 1] === '?' && (lt(at + 1)?.index ?? xml.length) < markup.index) return null;
      at = xml.indexOf('<', markup.end);
      continue;
    }
    if (xml[at + 1] === '!') return null; // a DOCTYPE (its entities are the whole document's) or a stray declaration
    const tag = readTag(xml, at, quotes, lt);
    if (tag.name === null || tag.ltInValue) return null;
    const depth = stack.length;
    if (tag.closing) {
      if (stack.pop() !== tag.name) return null;
      onPath.pop();
      if (itemStart !== -1 && stack.length === parentPath.length) {
        spans.push([itemStart, tag.next]);
        itemStart = -1;
      }
    } else {
      const parentOnPath = depth === 0 || onPath[depth - 1] === true;
      let isOnPath = false;
      if (parentOnPath && depth < parentPath.length && tag.name === parentPath[depth]) {
        const seen = (seenAtDepth.get(depth) ?? 0) + 1;
        seenAtDepth.set(depth, seen);
        if (seen > 1) return null;
        isOnPath = true;
      }
      const isItem = parentOnPath && depth === parentPath.length && tag.name === name;
      if (depth === 0 && !isOnPath) return null; // the root is not the one expected
      if (tag.selfClosing) {
        if (isItem) spans.push([at, tag.next]);
      } else {
        stack.push(tag.name);
        onPath.push(isOnPath);
        if (isItem) itemStart = at;
      }
    }
    at = xml.indexOf('<', tag.next);
  }
  if (stack.length > 0 || seenAtDepth.size < parentPath.length) return null;
  return spans;
}
