/**
 * Linear-time building blocks for the passes over untrusted markup (feed XML, story HTML,
 * HTML pages). A regex such as `<p[^>]*>` retried at every `<p` of a text without `>`
 * costs the square of its length; these scans instead remember where the next terminator
 * is, so a whole pass reads each character a bounded number of times. Pure.
 */

/** Where a search matched: `[index, end)`. */
export interface Found {
  index: number;
  end: number;
}

/** Finds the first match at or after `from`. */
export type Finder = (from: number) => Found | null;

/**
 * A search for `needle` in `text` that remembers its last answer: a later query that starts
 * between the last start and the last match (or after a failed search) is answered without
 * scanning again, so queries that move forward cost O(text) in all. A RegExp needle must
 * not backtrack (a literal, or a literal with bounded classes around it).
 */
export function createFinder(text: string, needle: string | RegExp): Finder {
  const pattern =
    typeof needle === 'string' ? null : new RegExp(needle.source, needle.flags.includes('g') ? needle.flags : `${needle.flags}g`);
  let lastFrom = Number.POSITIVE_INFINITY;
  let last: Found | null = null;
  return (from) => {
    if (from >= lastFrom && (last === null || from <= last.index)) return last;
    lastFrom = from;
    if (pattern === null) {
      const index = text.indexOf(needle as string, from);
      last = index === -1 ? null : { index, end: index + (needle as string).length };
    } else {
      pattern.lastIndex = from;
      const match = pattern.exec(text);
      last = match === null ? null : { index: match.index, end: match.index + match[0].length };
    }
    return last;
  };
}

/** What `replaceTags` replaces: tags by name (or any tag), and optionally comments. */
export interface TagPass {
  /** Lower-case names of the tags to replace; absent: every tag whose name starts with a letter. */
  names?: ReadonlySet<string>;
  /** Also replace `<!-- … -->` comments. */
  comments?: boolean;
  /** The text each replaced tag or comment becomes. */
  replacement: string;
}

const isLetter = (code: number): boolean => (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
const isWordChar = (code: number): boolean => isLetter(code) || (code >= 0x30 && code <= 0x39) || code === 0x5f;

/**
 * Replaces each tag (`<name …>` or `</name …>`, up to the first `>`) and comment the pass
 * names, left to right, as `/<\/?(?:names)\b[^>]*>/gi` (or `/<!--[\s\S]*?-->|<\/?[A-Za-z][^>]*>/g`)
 * would, in linear time.
 */
export function replaceTags(text: string, pass: TagPass): string {
  const nextGt = createFinder(text, '>');
  const commentEnd = createFinder(text, '-->');
  const out: string[] = [];
  let copied = 0;
  let at = text.indexOf('<');
  while (at !== -1) {
    let end = -1;
    if (pass.comments && text.startsWith('<!--', at)) {
      end = commentEnd(at + 4)?.end ?? -1;
    } else {
      const nameStart = text.charCodeAt(at + 1) === 0x2f ? at + 2 : at + 1;
      if (tagNameMatches(text, nameStart, pass.names)) {
        const gt = nextGt(nameStart + 1);
        // Every tag and comment ends with a `>`: with none left, nothing further can match.
        if (gt === null) break;
        end = gt.end;
      }
    }
    if (end === -1) {
      at = text.indexOf('<', at + 1);
      continue;
    }
    out.push(text.slice(copied, at), pass.replacement);
    copied = end;
    at = text.indexOf('<', end);
  }
  if (copied === 0) return text;
  out.push(text.slice(copied));
  return out.join('');
}

function tagNameMatches(text: string, start: number, names: ReadonlySet<string> | undefined): boolean {
  if (!isLetter(text.charCodeAt(start))) return false;
  if (names === undefined) return true;
  // `\b` after the name: the name is the whole run of word characters.
  let end = start + 1;
  while (end < text.length && isWordChar(text.charCodeAt(end))) end++;
  return names.has(text.slice(start, end).toLowerCase());
}

/** Block-level tags, which separate words: replaced by a space when markup is stripped (inline tags like <b> by nothing). */
export const BLOCK_TAGS: TagPass = {
  names: new Set([
    'p',
    'div',
    'br',
    'li',
    'ul',
    'ol',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'blockquote',
    'tr',
    'td',
    'th',
    'table',
    'section',
    'article',
    'figure',
    'figcaption',
    'hr',
  ]),
  replacement: ' ',
};
