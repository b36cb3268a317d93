/**
 * New `feeds:` entries written the way the file already writes its entries: the same key
 * order, tags as `[a, b]` or as a block list, the same quoting of URLs, blank lines between
 * entries or not. The `yaml` Document API does the quoting, so any title or tag stays valid YAML.
 */
import { Document, isMap, isScalar, isSeq, YAMLMap, YAMLSeq, type Node, type Pair, type Scalar } from 'yaml';
import { lineStart } from './text-lines.ts';

/** A feed entry to write; absent fields are left out of the file. */
export interface FeedEntry {
  url: string;
  id?: string;
  title?: string;
  outlet?: string;
  tags?: string[];
}

type Key = keyof FeedEntry;
type Quote = Scalar.Type & ('QUOTE_DOUBLE' | 'QUOTE_SINGLE');

/** How the file writes its entries. */
export interface EntryStyle {
  /** Column of the entries' "-". */
  dashColumn: number;
  /** A blank line between entries. */
  blankBetween: boolean;
  keyOrder: Key[];
  flowTags: boolean;
  /** `[ a, b ]` rather than `[a, b]`. */
  flowPadding: boolean;
  /** A block tags list indented under its key rather than level with it. */
  indentSeq: boolean;
  quotes: Partial<Record<Key, Quote>>;
}

const KEYS: readonly Key[] = ['url', 'id', 'title', 'outlet', 'tags'];

/** The style of the entries in `seq` (null: no entries yet, so the repository's feeds.yaml style). */
export function detectEntryStyle(text: string, seq: YAMLSeq | null, dashColumn: number, blankBetween: boolean): EntryStyle {
  const maps = (seq?.items ?? []).filter((item): item is YAMLMap => isMap(item));
  const keyLists = maps.map((map) => map.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : '')).filter(isKey));
  const tagPairs = maps.flatMap((map) =>
    map.items.filter((pair): pair is Pair<Scalar, YAMLSeq> => isScalar(pair.key) && pair.key.value === 'tags' && isSeq(pair.value)),
  );
  const flowTags = tagPairs.filter((pair) => pair.value!.flow).map((pair) => pair.value!);
  const blockTags = tagPairs.filter((pair) => !pair.value!.flow && pair.value!.items.length > 0);
  return {
    dashColumn,
    blankBetween,
    keyOrder: mergeKeyOrder(keyLists.reduce<Key[]>((best, keys) => (keys.length >= best.length ? keys : best), [])),
    flowTags: flowTags.length >= blockTags.length,
    flowPadding: flowTags.some(
      (node) => node.items.length > 0 && node.range !== undefined && node.range !== null && text[node.range[0] + 1] === ' ',
    ),
    indentSeq: blockTags.every((pair) => columnOf(text, pair.value!.range?.[0]) > columnOf(text, pair.key.range?.[0])),
    quotes: Object.fromEntries(
      KEYS.flatMap((key) => {
        const quote = commonQuote(maps.map((map) => map.get(key, true)));
        return quote ? [[key, quote]] : [];
      }),
    ),
  };
}

/** The entries as YAML lines at the style's column, each line ending in `newline`, blank lines between them if the style has them. */
export function renderEntries(entries: readonly FeedEntry[], style: EntryStyle, newline: string): string {
  const rendered = entries.map((entry) => {
    const doc = new Document();
    const map = new YAMLMap();
    for (const key of style.keyOrder) {
      const value = entry[key];
      if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
      map.add(
        doc.createPair(key, key === 'tags' ? tagsNode(doc, value as string[], style) : scalarNode(doc, value as string, style.quotes[key])),
      );
    }
    const list = new YAMLSeq();
    list.items.push(map);
    doc.contents = list;
    return indentLines(stringify(doc, style), style.dashColumn, newline);
  });
  return rendered.join(style.blankBetween ? newline : '');
}

/** A tags value: `[a, b]`, or block lines (`- a`) each at `column`, without a final newline. */
export function renderTags(tags: readonly string[], style: EntryStyle, block: { column: number } | null, newline: string): string {
  const doc = new Document();
  const node = tagsNode(doc, [...tags], { ...style, flowTags: block === null || tags.length === 0 });
  doc.contents = node;
  const text = stringify(doc, style);
  return block === null || tags.length === 0 ? text.trimEnd() : indentLines(text, block.column, newline).replace(/\r?\n$/, '');
}

function tagsNode(doc: Document, tags: string[], style: EntryStyle): Node {
  const node = doc.createNode(tags) as YAMLSeq;
  node.flow = style.flowTags;
  return node;
}

function scalarNode(doc: Document, value: string, quote: Quote | undefined): Node {
  const node = doc.createNode(value) as Scalar;
  if (quote) node.type = quote;
  return node;
}

function stringify(doc: Document, style: EntryStyle): string {
  // lineWidth 0: a long title or URL stays on one line, as a person would write it.
  return doc.toString({ lineWidth: 0, flowCollectionPadding: style.flowPadding, indentSeq: style.indentSeq });
}

function indentLines(text: string, column: number, newline: string): string {
  const pad = ' '.repeat(column);
  // Blank lines inside a block scalar (a title with line breaks) stay blank and stay.
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `${line === '' ? '' : pad}${line}${newline}`)
    .join('');
}

/** The file's most complete key order, with the keys it never uses slotted in where the default order puts them. */
function mergeKeyOrder(reference: readonly Key[]): Key[] {
  const order = [...new Set(reference)];
  KEYS.forEach((key, index) => {
    if (order.includes(key)) return;
    // After the last-placed of the keys the default order puts before it.
    const after = Math.max(-1, ...KEYS.slice(0, index).map((earlier) => order.indexOf(earlier)));
    order.splice(after + 1, 0, key);
  });
  return order;
}

function commonQuote(nodes: unknown[]): Quote | undefined {
  const scalars = nodes.filter((node): node is Scalar => isScalar(node));
  const quoted = scalars.filter((node) => node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
  return quoted.length * 2 > scalars.length ? (quoted[quoted.length - 1]!.type as Quote) : undefined;
}

function columnOf(text: string, offset: number | undefined): number {
  return offset === undefined ? 0 : offset - lineStart(text, offset);
}

function isKey(name: string): name is Key {
  return (KEYS as readonly string[]).includes(name);
}
