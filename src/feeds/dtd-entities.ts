/**
 * Internal general entities of a feed's DTD (`<!ENTITY id "…">`, common in old blogs), expanded
 * within a budget. XML 1.0 §4.4.2: a reference to an internal entity is replaced by its text;
 * external entities (SYSTEM/PUBLIC) are never fetched, and their references read as nothing.
 */
import { FeedParseError } from './feed-parse-error.ts';

/** Total characters all expansions may produce: a real feed's entities give a few kilobytes. */
export const MAX_EXPANDED_CHARS = 1024 * 1024;
/** How deep entities may refer to entities; real ones nest once or twice. */
export const MAX_ENTITY_DEPTH = 8;

/** Entity name → replacement text; null for an external entity, which expands to nothing. */
export type EntityDeclarations = Map<string, string | null>;

/** The general entities declared in a DOCTYPE's text, first declaration winning (XML 1.0 §4.2). One forward scan. */
export function readEntityDeclarations(doctype: string): EntityDeclarations {
  const declarations: EntityDeclarations = new Map();
  for (let at = doctype.indexOf('<!ENTITY'); at !== -1; at = doctype.indexOf('<!ENTITY', at)) {
    at = skipSpace(doctype, at + 8);
    const parameter = doctype[at] === '%';
    if (parameter) at = skipSpace(doctype, at + 1);
    const nameStart = at;
    while (at < doctype.length && !/[\s"'>]/.test(doctype[at]!)) at++;
    const name = doctype.slice(nameStart, at);
    at = skipSpace(doctype, at);
    const quote = doctype[at];
    let value: string | null = null;
    if (quote === '"' || quote === "'") {
      const close = doctype.indexOf(quote, at + 1);
      if (close === -1) break;
      value = doctype.slice(at + 1, close);
      at = close + 1;
    }
    // Parameter entities only shape the DTD, which is dropped; the predefined five keep their meaning.
    if (!parameter && name !== '' && !declarations.has(name) && !PREDEFINED.has(name)) declarations.set(name, value);
  }
  return declarations;
}

const PREDEFINED = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);

function skipSpace(text: string, at: number): number {
  while (at < text.length && /\s/.test(text[at]!)) at++;
  return at;
}

/**
 * A function giving each declared entity's full replacement text (nested references expanded),
 * or null for an undeclared name. Every character it hands out counts against one budget, so an
 * entity bomb fails after at most MAX_EXPANDED_CHARS of work, with a FeedParseError.
 */
export function createEntityExpander(declarations: EntityDeclarations): (name: string) => string | null {
  const expanded = new Map<string, string>();
  let spent = 0;
  const charge = (chars: number): void => {
    spent += chars;
    if (spent > MAX_EXPANDED_CHARS) {
      throw new FeedParseError(
        `unreadable feed: its DTD entities expand to more than ${MAX_EXPANDED_CHARS} characters (an entity bomb); ask the publisher to drop the DTD`,
      );
    }
  };
  const expand = (name: string, depth: number): string => {
    const cached = expanded.get(name);
    if (cached !== undefined) return cached;
    if (depth > MAX_ENTITY_DEPTH) {
      throw new FeedParseError(
        `unreadable feed: its DTD entities nest deeper than ${MAX_ENTITY_DEPTH} levels (at &${name};), or refer to themselves`,
      );
    }
    const value = declarations.get(name) ?? '';
    const out: string[] = [];
    let copied = 0;
    let semicolon = -1;
    for (let amp = value.indexOf('&'); amp !== -1; amp = value.indexOf('&', amp + 1)) {
      // The next `;` is found once per `;`, not per `&`: `&` repeated stays one pass.
      if (semicolon < amp) semicolon = value.indexOf(';', amp);
      if (semicolon === -1) break;
      const inner = value.slice(amp + 1, Math.min(semicolon, amp + 65));
      if (!declarations.has(inner)) continue;
      out.push(value.slice(copied, amp));
      const text = expand(inner, depth + 1);
      charge(text.length);
      out.push(text);
      amp = semicolon;
      copied = semicolon + 1;
    }
    out.push(value.slice(copied));
    const text = out.join('');
    expanded.set(name, text);
    return text;
  };
  return (name) => {
    if (!declarations.has(name)) return null;
    const text = expand(name, 1);
    charge(text.length);
    return text;
  };
}
