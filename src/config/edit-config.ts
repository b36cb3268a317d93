/**
 * Edits of the `feeds:` list in feeds.yaml text that change only the lines they concern: every
 * other byte (comments, blank lines, key order, quoting, alignment) stays as the person wrote
 * it. The `yaml` Document API locates the entries and renders new ones; the edit is spliced
 * into the text, then checked to mean exactly what was asked. Pure.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Pair,
  type Range,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { ConfigError } from './load.ts';
import { detectEntryStyle, renderEntries, renderTags, type FeedEntry } from './render-feed-entry.ts';
import { findSharedAnchor } from './shared-anchors.ts';
import {
  indentOf,
  isBlankLine,
  isCommentLine,
  lineFrom,
  lineStart,
  newlineOf,
  nextLineStart,
  previousLineStart,
  splice,
  toLineEnd,
} from './text-lines.ts';

export type { FeedEntry } from './render-feed-entry.ts';

export type ConfigEdit =
  | { kind: 'add'; entries: readonly FeedEntry[] }
  /** `index` is the entry's position in `feeds:` (the same as in Config.feeds). */
  | { kind: 'remove'; index: number }
  | { kind: 'set-tags'; index: number; tags: readonly string[] };

/** What an edit did to the file, for the user. */
export interface EditResult {
  text: string;
  /** Comment lines removed along with an entry (the comment directly above it documents it). */
  removedComments: string[];
}

type FeedsList = { kind: 'missing' } | { kind: 'empty'; pair: Pair } | { kind: 'block'; pair: Pair; seq: YAMLSeq };

interface EntrySpan {
  /** Start of the comment lines directly above the entry (or of its "-" line). */
  start: number;
  dashLineStart: number;
  /** End of the entry's last line of content. */
  contentEnd: number;
  /** End of the comment lines indented inside the entry that follow it. */
  end: number;
  dashColumn: number;
}

/** Applies `edit` to feeds.yaml text (already valid); throws ConfigError when the file's layout cannot be edited safely. */
export function editConfigText(text: string, edit: ConfigEdit, path: string): EditResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const at = (offset: number | undefined) => `${path}:${offset === undefined ? 1 : lines.linePos(offset).line}`;
  const list = locateFeeds(doc, at);
  if (edit.kind !== 'add') refuseSharedAnchor(text, doc, blockList(list), edit, lines, at);
  const result =
    edit.kind === 'add'
      ? addEntries(text, list, edit.entries, at)
      : edit.kind === 'remove'
        ? removeEntry(text, blockList(list), edit.index, at)
        : setTags(text, blockList(list), edit.index, edit.tags, at);
  checkEdit(doc, result.text, edit, path);
  return result;
}

function locateFeeds(doc: Document, at: (offset: number | undefined) => string): FeedsList {
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { kind: 'missing' };
  if (!isMap(root) || root.flow)
    throw new ConfigError([`${at(root.range?.[0])}: the file is not a block mapping of settings; edit it by hand`]);
  const pair = root.items.find((item) => isScalar(item.key) && item.key.value === 'feeds');
  if (!pair) return { kind: 'missing' };
  const value = pair.value;
  if (value === null || (isScalar(value) && value.value === null) || (isSeq(value) && value.flow && value.items.length === 0))
    return { kind: 'empty', pair };
  if (isSeq(value) && !value.flow) return { kind: 'block', pair, seq: value };
  throw new ConfigError([
    `${at(rangeOf(pair.key)?.[0])}: feeds is written in flow style ([...]); the CLI edits a block list ("- url: ...") only, so edit it by hand or rewrite it as a block list`,
  ]);
}

function blockList(list: FeedsList): Extract<FeedsList, { kind: 'block' }> {
  if (list.kind !== 'block') throw new Error('config edit: feeds has no entries');
  return list;
}

function addEntries(text: string, list: FeedsList, entries: readonly FeedEntry[], at: (offset: number | undefined) => string): EditResult {
  const newline = newlineOf(text);
  if (list.kind === 'block') {
    const spans = list.seq.items.map((item) => entrySpan(text, item as YAMLMap, at));
    const last = spans[spans.length - 1]!;
    const style = detectEntryStyle(text, list.seq, last.dashColumn, usesBlankLines(text, spans));
    const rendered = renderEntries(entries, style, newline);
    const before = text.slice(0, last.end);
    const joint = (before.endsWith('\n') || before === '' ? '' : newline) + (style.blankBetween ? newline : '');
    return { text: before + joint + rendered + text.slice(last.end), removedComments: [] };
  }
  if (list.kind === 'empty') {
    const keyStart = rangeOf(list.pair.key)![0];
    const dashColumn = keyStart - lineStart(text, keyStart) + 2;
    const rendered = renderEntries(entries, detectEntryStyle(text, null, dashColumn, false), newline);
    const valueRange = rangeOf(list.pair.value);
    const colon = text.indexOf(':', rangeOf(list.pair.key)![1]);
    // `feeds: []` or `feeds: ~` loses its value (and the space before it); a comment on the line stays.
    const from = valueRange && text.slice(colon + 1, valueRange[0]).trim() === '' ? colon + 1 : valueRange?.[0];
    const cleared = valueRange && from !== undefined && valueRange[1] > valueRange[0] ? splice(text, from, valueRange[1], '') : text;
    const insertAt = nextLineStart(cleared, keyStart);
    const joint = cleared.slice(0, insertAt).endsWith('\n') ? '' : newline;
    return { text: cleared.slice(0, insertAt) + joint + rendered + cleared.slice(insertAt), removedComments: [] };
  }
  const rendered = renderEntries(entries, detectEntryStyle(text, null, 2, false), newline);
  let base = text === '' || text.endsWith('\n') ? text : text + newline;
  // A new top-level section is set off by a blank line, as the sections before it are.
  if (base.trim() !== '' && !isBlankLine(lineFrom(base, lineStart(base, base.length - 1)))) base += newline;
  return { text: `${base}feeds:${newline}${rendered}`, removedComments: [] };
}

function removeEntry(
  text: string,
  list: Extract<FeedsList, { kind: 'block' }>,
  index: number,
  at: (offset: number | undefined) => string,
): EditResult {
  const item = list.seq.items[index] as YAMLMap;
  const span = entrySpan(text, item, at);
  const removedComments = text
    .slice(span.start, span.dashLineStart)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (list.seq.items.length === 1) {
    // The last entry goes and `feeds:` stays, as an empty list (a bare `feeds:` would be null).
    const colon = text.indexOf(':', rangeOf(list.pair.key)![1]);
    const emptied = splice(text, span.start, span.end, '');
    return { text: splice(emptied, colon + 1, colon + 1, ' []'), removedComments };
  }
  const afterBlanks = blankLinesFrom(text, span.end);
  const beforeBlanks = blankLinesBefore(text, span.start);
  const blankAfter = afterBlanks > span.end;
  const blankBefore = beforeBlanks < span.start;
  // Keep the file's spacing: the entry goes with the blank lines that set it off from a neighbour.
  if (blankAfter && (blankBefore || index === 0)) return { text: splice(text, span.start, afterBlanks, ''), removedComments };
  if (!blankAfter && blankBefore && index > 0) return { text: splice(text, beforeBlanks, span.end, ''), removedComments };
  return { text: splice(text, span.start, span.end, ''), removedComments };
}

function setTags(
  text: string,
  list: Extract<FeedsList, { kind: 'block' }>,
  index: number,
  tags: readonly string[],
  at: (offset: number | undefined) => string,
): EditResult {
  const item = list.seq.items[index] as YAMLMap;
  const span = entrySpan(text, item, at);
  const style = detectEntryStyle(text, list.seq, span.dashColumn, false);
  const newline = newlineOf(text);
  const pair = item.items.find((candidate) => isScalar(candidate.key) && candidate.key.value === 'tags');
  const keyEnd = rangeOf(pair?.key)?.[1];
  const value = pair?.value;
  if (pair === undefined || keyEnd === undefined) {
    if (tags.length === 0) return { text, removedComments: [] };
    const keyColumn = (item.range?.[0] ?? 0) - lineStart(text, item.range?.[0] ?? 0);
    const key = `${' '.repeat(keyColumn)}tags:`;
    const line = style.flowTags
      ? `${key} ${renderTags(tags, style, null, newline)}${newline}`
      : `${key}${newline}${renderTags(tags, style, { column: keyColumn + (style.indentSeq ? 2 : 0) }, newline)}${newline}`;
    const joint = text.slice(0, span.contentEnd).endsWith('\n') ? '' : newline;
    return { text: splice(text, span.contentEnd, span.contentEnd, joint + line), removedComments: [] };
  }
  const colon = text.indexOf(':', keyEnd);
  if (isSeq(value) && !value.flow && value.range) {
    const first = lineStart(text, value.range[0]);
    const last = toLineEnd(text, value.range[1]);
    if (tags.length === 0) return { text: splice(splice(text, first, last, ''), colon + 1, colon + 1, ' []'), removedComments: [] };
    const column = value.range[0] - first;
    return { text: splice(text, first, last, renderTags(tags, style, { column }, newline) + newline), removedComments: [] };
  }
  // A flow list, or an alias of another entry's list: replaced by this entry's own list.
  if ((isSeq(value) || isAlias(value)) && value.range)
    return { text: splice(text, value.range[0], value.range[1], renderTags(tags, style, null, newline)), removedComments: [] };
  // `tags:` with no value.
  return { text: splice(text, colon + 1, colon + 1, ` ${renderTags(tags, style, null, newline)}`), removedComments: [] };
}

/** Dropping the entry, or rewriting its tags, must not drop or change a value that an alias elsewhere shares. */
function refuseSharedAnchor(
  text: string,
  doc: Document,
  list: Extract<FeedsList, { kind: 'block' }>,
  edit: Exclude<ConfigEdit, { kind: 'add' }>,
  lines: LineCounter,
  at: (offset: number | undefined) => string,
): void {
  const item = list.seq.items[edit.index];
  const node = edit.kind === 'remove' || !isMap(item) ? item : item.get('tags', true);
  const shared = findSharedAnchor(doc, node);
  if (shared === null) return;
  // A block value starts on the line after its "&name"; the message points at the anchor itself.
  const anchorAt = text.lastIndexOf(`&${shared.anchor}`, shared.anchorOffset);
  throw new ConfigError([
    `${at(anchorAt === -1 ? shared.anchorOffset : anchorAt)}: the anchor &${shared.anchor} here is used on line ${lines.linePos(shared.aliasOffset).line} ` +
      `(*${shared.anchor}); edit the file by hand, or write the value out in place of the alias first`,
  ]);
}

/** A parsed node's [start, value end, node end] offsets; null for no node (a bare `key:`). */
function rangeOf(node: unknown): Range | null {
  return isNode(node) ? (node.range ?? null) : null;
}

/** An entry's lines: the comments directly above its "-", its content, and comments indented inside it after it. */
function entrySpan(text: string, item: YAMLMap, at: (offset: number | undefined) => string): EntrySpan {
  const keyStart = item.range?.[0];
  const contentEndOffset = item.range?.[1];
  const dashLineStart = keyStart === undefined ? 0 : lineStart(text, keyStart);
  const dash = keyStart === undefined ? null : /^( *)- +$/.exec(text.slice(dashLineStart, keyStart));
  if (!isMap(item) || item.flow || !dash || contentEndOffset === undefined) {
    throw new ConfigError([`${at(keyStart)}: this feeds entry is not written as "- url: ..." with one key per line; edit it by hand`]);
  }
  const dashColumn = dash[1]!.length;
  let start = dashLineStart;
  for (let previous = previousLineStart(text, start); previous !== null; previous = previousLineStart(text, previous)) {
    const line = lineFrom(text, previous);
    // Only comments level with the "-": deeper ones are the previous entry's own.
    if (!isCommentLine(line) || indentOf(line) !== dashColumn) break;
    start = previous;
  }
  const contentEnd = toLineEnd(text, contentEndOffset);
  let end = contentEnd;
  while (end < text.length && isCommentLine(lineFrom(text, end)) && indentOf(lineFrom(text, end)) > dashColumn)
    end = nextLineStart(text, end);
  return { start, dashLineStart, contentEnd, end, dashColumn };
}

/** True when most entries are set off from the one before by a blank line. */
function usesBlankLines(text: string, spans: readonly EntrySpan[]): boolean {
  const later = spans.slice(1);
  return later.length > 0 && later.filter((span) => blankLinesBefore(text, span.start) < span.start).length * 2 >= later.length;
}

/** End of the blank lines starting at `offset`. */
function blankLinesFrom(text: string, offset: number): number {
  let end = offset;
  while (end < text.length && isBlankLine(lineFrom(text, end))) end = nextLineStart(text, end);
  return end;
}

/** Start of the blank lines ending at `offset`. */
function blankLinesBefore(text: string, offset: number): number {
  let start = offset;
  for (
    let previous = previousLineStart(text, start);
    previous !== null && isBlankLine(lineFrom(text, previous));
    previous = previousLineStart(text, previous)
  )
    start = previous;
  return start;
}

/** The edited text must mean the old one with exactly this edit: a splice gone wrong is never written. */
function checkEdit(before: Document, text: string, edit: ConfigEdit, path: string): void {
  const after = parseDocument(text);
  if (after.errors.length > 0) {
    throw new ConfigError([
      `${path}: the edit would break the YAML (${after.errors[0]!.message.split('\n')[0]}); nothing was written, edit the file by hand`,
    ]);
  }
  const expected = (before.toJS() ?? {}) as { feeds?: unknown };
  const feeds = Array.isArray(expected.feeds) ? [...(expected.feeds as Array<Record<string, unknown>>)] : [];
  if (edit.kind === 'add') feeds.push(...edit.entries.map(plainEntry));
  if (edit.kind === 'remove') feeds.splice(edit.index, 1);
  if (edit.kind === 'set-tags') {
    const { tags: _old, ...rest } = feeds[edit.index]!;
    feeds[edit.index] = edit.tags.length === 0 && !Array.isArray(_old) ? rest : { ...feeds[edit.index], tags: [...edit.tags] };
  }
  if (!isDeepStrictEqual(after.toJS(), { ...expected, feeds })) {
    throw new Error(
      `config edit: the edited ${path} does not say what was asked (${edit.kind}); nothing was written. Please report this with the file`,
    );
  }
}

function plainEntry(entry: FeedEntry): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(entry).filter(([, value]) => value !== undefined && !(Array.isArray(value) && value.length === 0)),
  );
}
