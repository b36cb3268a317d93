/**
 * A guard in front of sanitize-html: htmlparser2 keeps its open elements with Array#unshift,
 * so markup nested N deep costs N² (100,000 nested `<b>` took minutes). Tags nested deeper
 * than a browser would build (Chromium's HTML parser stops nesting at 512) are removed here
 * in one linear scan; their text stays. Shallower markup comes back unchanged.
 */
import { createFinder } from '../markup-scan.ts';

/** How deep story HTML may nest before further tags are dropped. */
export const MAX_HTML_DEPTH = 256;

// HTML void elements never hold children (WHATWG HTML §13.1.2).
const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
// A second one of these closes the first (the parser's implied end tags, §13.2.6.4.7), so
// paragraphs and list items written without end tags do not count as nesting.
const CLOSED_BY_SIBLING = new Set(['p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'option']);
const TAG_NAME = /^<\/?([A-Za-z][^\s/>]*)/;

/** `html` with the tags nested deeper than `maxDepth` removed, their text kept; linear time. */
export function limitNesting(html: string, maxDepth: number = MAX_HTML_DEPTH): string {
  // Each level of nesting takes at least three characters (`<b>`).
  if (html.length < maxDepth * 3) return html;
  const nextGt = createFinder(html, '>');
  const commentEnd = createFinder(html, '-->');
  const stack: string[] = [];
  const openCount = new Map<string, number>();
  const dropped = new Map<string, number>();
  const out: string[] = [];
  let copied = 0;
  for (let at = html.indexOf('<'); at !== -1; at = html.indexOf('<', at + 1)) {
    if (html.startsWith('<!--', at)) {
      const end = commentEnd(at + 4);
      if (end === null) break;
      at = end.end - 1;
      continue;
    }
    const name = TAG_NAME.exec(html.slice(at, at + 64))?.[1]?.toLowerCase();
    if (name === undefined) continue;
    const gt = nextGt(at + 1);
    if (gt === null) break;
    let drop = false;
    if (html[at + 1] === '/') {
      const pending = dropped.get(name) ?? 0;
      if (pending > 0) {
        dropped.set(name, pending - 1);
        drop = true;
      } else if (openCount.get(name)) {
        for (let popped = stack.pop(); popped !== undefined; popped = stack.pop()) {
          openCount.set(popped, openCount.get(popped)! - 1);
          if (popped === name) break;
        }
      }
    } else if (!VOID_ELEMENTS.has(name) && html[gt.index - 1] !== '/') {
      if (CLOSED_BY_SIBLING.has(name) && stack[stack.length - 1] === name) {
        // The parser closes the open one: depth stays the same.
      } else if (stack.length >= maxDepth) {
        dropped.set(name, (dropped.get(name) ?? 0) + 1);
        drop = true;
      } else {
        stack.push(name);
        openCount.set(name, (openCount.get(name) ?? 0) + 1);
      }
    }
    if (drop) {
      out.push(html.slice(copied, at));
      copied = gt.end;
    }
    at = gt.end - 1;
  }
  if (out.length === 0) return html;
  out.push(html.slice(copied));
  return out.join('');
}
