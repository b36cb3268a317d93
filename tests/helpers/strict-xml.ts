/**
 * A strict, namespace-aware XML 1.0 reading of a document (saxes: every well-formedness
 * constraint, including character ranges and unbound prefixes), as a small tree. The only
 * importer of saxes. Throws on the first error, naming line and column.
 */
import { SaxesParser } from 'saxes';

/** An element as read: namespace URI and local name, plain attributes, children, and its own text. */
export interface XmlTree {
  uri: string;
  local: string;
  /** Attributes in no namespace, by name (namespace declarations left out). */
  attributes: Record<string, string>;
  children: XmlTree[];
  /** The element's direct text and CDATA, joined, as a parser reports it. */
  text: string;
}

/** The document's root element; throws `strict-xml: LINE:COL: ...` if it is not well-formed. */
export function parseStrictXml(document: string): XmlTree {
  // Subscribers get UTF-8 bytes: a lone surrogate would reach them as U+FFFD, not as written.
  if (Buffer.from(document, 'utf8').toString('utf8') !== document)
    throw new Error('strict-xml: the document is not well-formed UTF-16 (lone surrogate)');
  const parser = new SaxesParser({ xmlns: true });
  const stack: XmlTree[] = [];
  let root: XmlTree | null = null;
  // Set by the error handler (saxes goes on after an error); no initializer, so TypeScript does not narrow it to null below.
  let failure: Error | undefined;
  parser.on('error', (error) => {
    failure ??= new Error(`strict-xml: ${error.message}`, { cause: error });
  });
  parser.on('opentag', (tag) => {
    const attributes: Record<string, string> = {};
    for (const attribute of Object.values(tag.attributes)) {
      if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue;
      attributes[attribute.uri ? `{${attribute.uri}}${attribute.local}` : attribute.local] = attribute.value;
    }
    const node: XmlTree = { uri: tag.uri, local: tag.local, attributes, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    else root = node;
    stack.push(node);
  });
  parser.on('closetag', () => void stack.pop());
  const addText = (text: string): void => {
    const current = stack[stack.length - 1];
    if (current) current.text += text;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.write(document).close();
  if (failure) throw failure;
  if (!root) throw new Error('strict-xml: no root element');
  return root;
}

/** The children of `node` with this namespace URI and local name. */
export function childrenNamed(node: XmlTree, uri: string, local: string): XmlTree[] {
  return node.children.filter((child) => child.uri === uri && child.local === local);
}

/** The one child with this name, or null; throws when there are several. */
export function onlyChild(node: XmlTree, uri: string, local: string): XmlTree | null {
  const found = childrenNamed(node, uri, local);
  if (found.length > 1) throw new Error(`strict-xml: <${node.local}> has ${found.length} <${local}> children, expected at most one`);
  return found[0] ?? null;
}
