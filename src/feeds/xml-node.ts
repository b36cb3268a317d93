/**
 * Reading the object tree xml2js builds (elements as arrays, text under TEXT_KEY, attributes
 * under ATTRIBUTES_KEY). Every accessor is total: a missing or oddly shaped node reads as null or [].
 */

import { resolveLink } from './clean-text.ts';

/**
 * Where xml2js puts an element's text and attributes. Neither can be an XML name (`#` and `@`
 * are not NameChars, XML 1.0 §2.3), so no element collides with them: with xml2js's defaults
 * (`_`, `$`) a feed containing an `<_>` element failed to parse.
 */
export const TEXT_KEY = '#text';
export const ATTRIBUTES_KEY = '@';

type Element = Record<string, unknown>;

function isElement(node: unknown): node is Element {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}

/** All child elements called `name`. */
export function childrenOf(node: unknown, name: string): unknown[] {
  if (!isElement(node)) return [];
  const value = node[name];
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/** The first child element called `name`, or undefined. */
export function childOf(node: unknown, name: string): unknown {
  return childrenOf(node, name)[0];
}

/** An attribute's value, or null. */
export function attrOf(node: unknown, name: string): string | null {
  const attributes = isElement(node) ? node[ATTRIBUTES_KEY] : undefined;
  if (!isElement(attributes)) return null;
  const value = attributes[name];
  return typeof value === 'string' ? value : null;
}

/** The text of an element; an element with child elements (Atom xhtml) is serialized back to markup. */
export function textOf(node: unknown): string | null {
  if (typeof node === 'string') return node;
  if (!isElement(node)) return null;
  const text = node[TEXT_KEY];
  if (typeof text === 'string') return text;
  const markup = serializeChildren(node);
  return markup === '' ? null : markup;
}

/** The base URI in force inside `node` (XML Base; RFC 4287 §2), given the one outside it. */
export function xmlBase(node: unknown, outerBase: string | null): string | null {
  const base = attrOf(node, 'xml:base');
  return base ? resolveLink(base, outerBase) : outerBase;
}

/** The trimmed text of the first of `names` present and non-empty. */
export function childText(node: unknown, ...names: string[]): string | null {
  for (const name of names) {
    for (const child of childrenOf(node, name)) {
      const text = textOf(child)?.trim();
      if (text) return text;
    }
  }
  return null;
}

/**
 * The child elements of `node` as markup, in document order as far as the tree keeps it.
 * Iterative with an explicit stack: a hostile feed nests elements 100,000 deep, far past
 * the call stack.
 */
function serializeChildren(node: Element): string {
  const out: string[] = [];
  // Pending work, last first: an element still to open, or a closing tag to write.
  const work: Array<string | { name: string; node: unknown }> = [];
  pushChildren(work, node);
  for (let next = work.pop(); next !== undefined; next = work.pop()) {
    if (typeof next === 'string') {
      out.push(next);
      continue;
    }
    const tag = next.name.replace(/^[\w.-]+:/, '');
    if (typeof next.node === 'string') {
      out.push(`<${tag}>${escapeText(next.node)}</${tag}>`);
      continue;
    }
    if (!isElement(next.node)) continue;
    const attributes = next.node[ATTRIBUTES_KEY];
    const attrs = Object.entries(isElement(attributes) ? attributes : {})
      .filter(([key]) => !key.startsWith('xmlns'))
      .map(([key, value]) => ` ${key}="${escapeText(String(value)).replace(/"/g, '&quot;')}"`)
      .join('');
    const text = next.node[TEXT_KEY];
    out.push(`<${tag}${attrs}>${typeof text === 'string' ? escapeText(text) : ''}`);
    work.push(`</${tag}>`);
    pushChildren(work, next.node);
  }
  return out.join('');
}

function pushChildren(work: Array<string | { name: string; node: unknown }>, node: Element): void {
  const children: Array<{ name: string; node: unknown }> = [];
  for (const [name, value] of Object.entries(node)) {
    if (name === ATTRIBUTES_KEY || name === TEXT_KEY) continue;
    for (const child of Array.isArray(value) ? value : [value]) children.push({ name, node: child });
  }
  for (let index = children.length - 1; index >= 0; index--) work.push(children[index]!);
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
