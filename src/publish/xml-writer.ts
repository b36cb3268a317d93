/**
 * A small XML 1.0 writer for the merged feeds: a tree of elements, attributes and text,
 * serialized with every text node and attribute value through one escaping function. We
 * write RSS and Atom with it rather than with the `feed` package, whose xml-js back end
 * leaves `&` and `<` raw in attribute values, escapes only the first `]]>` of a CDATA
 * section and turns `&amp;` in text back into `&` before escaping.
 */

type AttributeValue = string | number | null | undefined;

/** An element: its name, its attributes in written order, and its children (elements or text). */
export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyArray<readonly [string, string]>;
  readonly children: readonly XmlNode[];
}

/** A child of an element: an element, or text (escaped when written). */
export type XmlNode = XmlElement | string;

/** What `element` accepts as children: nodes, nothing (null, undefined, false), or lists of these. */
export type XmlChild = XmlNode | null | undefined | false | readonly XmlChild[];

// XML 1.0 §2.3 Name, with at most one ':' (Namespaces in XML 1.0 §3 QName); ASCII is all we write.
const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/;

/**
 * Characters XML 1.0 forbids (§2.2 Char): C0 controls other than tab, LF and CR, U+FFFE,
 * U+FFFF, and UTF-16 surrogates not in a pair. Not even a character reference may name them.
 */
// eslint-disable-next-line no-control-regex -- these control characters are the point: XML 1.0 forbids them
const FORBIDDEN = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Any surrogate or forbidden character: a cheap first scan, since most text has none. */
// eslint-disable-next-line no-control-regex -- as FORBIDDEN
const MAYBE_FORBIDDEN = /[\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** The text with every character XML 1.0 forbids dropped; everything else (bidi controls too) kept. */
export function dropForbiddenXmlChars(text: string): string {
  return MAYBE_FORBIDDEN.test(text) ? text.replace(FORBIDDEN, '') : text;
}

/**
 * The one escaping function: `value` as element text or as a double-quoted attribute value,
 * reading back exactly as `dropForbiddenXmlChars(value)`. In text, `&` and `<` must be
 * escaped, `>` is too (so `]]>` never appears), and CR is a reference because parsers turn
 * a raw CR or CRLF into LF (XML 1.0 §2.11). In attributes the quote is escaped too, and so
 * are tab and LF, which attribute-value normalization would turn into spaces (§3.3.3).
 * (A chain of replaceAll is faster here than one regex with a callback.)
 */
export function escapeXml(value: string, where: 'text' | 'attribute'): string {
  const text = dropForbiddenXmlChars(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('\r', '&#13;');
  return where === 'text' ? text : text.replaceAll('"', '&quot;').replaceAll('\t', '&#9;').replaceAll('\n', '&#10;');
}

/** An element; attributes whose value is null or undefined are left out, and so are empty children. */
export function element(name: string, attributes: Readonly<Record<string, AttributeValue>> = {}, ...children: XmlChild[]): XmlElement {
  checkName(name);
  const written: Array<readonly [string, string]> = [];
  for (const [attribute, value] of Object.entries(attributes)) {
    checkName(attribute);
    if (value !== null && value !== undefined) written.push([attribute, String(value)]);
  }
  const nodes: XmlNode[] = [];
  flatten(children, nodes);
  return { name, attributes: written, children: nodes };
}

/** A whole document: the XML declaration and the root element, indented where no text is involved. */
export function writeXmlDocument(root: XmlElement): string {
  const parts: string[] = ['<?xml version="1.0" encoding="utf-8"?>\n'];
  writeElement(root, 0, parts);
  return parts.join('');
}

function flatten(children: readonly XmlChild[], into: XmlNode[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false || child === '') continue;
    if (Array.isArray(child)) flatten(child as readonly XmlChild[], into);
    else into.push(child as XmlNode);
  }
}

function checkName(name: string): void {
  // Names come from our code, never from a story: a bad one is a bug, not input to escape.
  if (!NAME.test(name)) throw new Error(`xml-writer: "${name}" is not an XML name`);
}

/**
 * Elements holding only elements are indented; an element with any text is written on one
 * line, as is, since whitespace added inside it would change its text. Recursion depth is
 * the depth of the tree, which our documents fix at a handful of levels.
 */
function writeElement(node: XmlElement, depth: number, parts: string[]): void {
  parts.push('<', node.name);
  for (const [name, value] of node.attributes) parts.push(' ', name, '="', escapeXml(value, 'attribute'), '"');
  if (node.children.length === 0) {
    parts.push('/>');
    return;
  }
  parts.push('>');
  const indent = node.children.every((child) => typeof child !== 'string');
  for (const child of node.children) {
    if (indent) parts.push('\n', '  '.repeat(depth + 1));
    if (typeof child === 'string') parts.push(escapeXml(child, 'text'));
    else writeElement(child, indent ? depth + 1 : 0, parts);
  }
  if (indent) parts.push('\n', '  '.repeat(depth));
  parts.push('</', node.name, '>');
}
