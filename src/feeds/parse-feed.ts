/**
 * Untrusted feed text → ParsedFeed. JSON Feed is read directly; XML is mended by repairXml,
 * then rss-parser detects the format and builds the element tree, which the format readers
 * map (rss-parser's own item mapping throws on bad dates and misses Atom 0.3, xml:base and
 * links without href, so only its detection and tree are used).
 */
import { createHash } from 'node:crypto';
import Parser from 'rss-parser';
import type { ParsedFeed, ParsedFeedMeta, ParsedItem } from '../model.ts';
import { cleanText } from './clean-text.ts';
import { FeedParseError } from './feed-parse-error.ts';
import type { RawItem } from './raw-item.ts';
import { readAtomEntry, readAtomFeed, readAtomFeedAuthor } from './read-atom.ts';
import { isJsonFeed, jsonFeedAuthors, jsonFeedItems, readJsonFeedItem, readJsonFeedMeta } from './read-json-feed.ts';
import { readRssChannel, readRssChannelAuthor, readRssItem } from './read-rss.ts';
import { rawItemHash, readingContext } from './item-digest.ts';
import { mayStripPrefixes, repairsItemByItem, repairXml, rootElementName } from './repair-xml.ts';
import { ATTRIBUTES_KEY, attrOf, childOf, childrenOf, TEXT_KEY, xmlBase } from './xml-node.ts';
import { childElementSpans } from './xml-scan.ts';

export { FeedParseError };

type Tree = { format: 'rss' | 'atom'; root: unknown; channel: unknown; items: unknown[] };

/** Items known from the feed's last document (item-digest.ts): raw-item hashes under one reading context. */
export interface KnownItems {
  context: string;
  hashes: { has(hash: string): boolean };
}

/** How to track a document's raw items (parseFeedTracked). */
export interface Tracking {
  /** What the feed's digest knows; null when nothing. */
  known: KnownItems | null;
  /** What else decides how the items are kept (the feed's pick): part of the reading context. */
  salt: string;
  /** A document with more items than this is read whole, untracked (they are cut by date after). */
  maxItems: number;
}

/** A document read item by item: the items not known, and what the digest of the next document needs. */
export interface TrackedFeed {
  /** The feed, with only the items that were not known (all of them when nothing was skipped), in document order. */
  parsed: ParsedFeed;
  /** Raw hash of each of parsed.items; null when the document was read whole, untracked (then nothing was skipped). */
  itemHashes: string[] | null;
  /** Raw hashes of the known items the document still holds, left unread, in document order. */
  knownHashes: string[];
  /** The reading context of the document (item-digest.ts); null with itemHashes. */
  context: string | null;
}

/** Parses RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed text; `baseUrl` (the feed's URL) resolves relative links. */
export async function parseFeed(text: string, baseUrl: string | null): Promise<ParsedFeed> {
  return (await parseFeedTracked(text, baseUrl)).parsed;
}

/**
 * As parseFeed, tracking raw items when `tracking` is given: the items it knows are left unread
 * when the document's reading context is the one they were known under (and each appears once
 * in it). Otherwise every item is read.
 */
export async function parseFeedTracked(text: string, baseUrl: string | null, tracking?: Tracking): Promise<TrackedFeed> {
  return parseText(text, baseUrl, tracking);
}

/** parseFeedTracked; `byteHashes`: the items' hashes found in the document's bytes (parseFeedTrackedBytes), with nothing known. */
async function parseText(text: string, baseUrl: string | null, tracking?: Tracking, byteHashes?: string[]): Promise<TrackedFeed> {
  const start = text.search(/[^\s\uFEFF]/);
  if (start === -1) throw new FeedParseError('not a feed: the document is empty');
  const body = text.slice(start);
  try {
    return body[0] === '{' || body[0] === '['
      ? parseJsonFeed(body, baseUrl, tracking)
      : await parseXmlFeed(body, baseUrl, tracking, byteHashes);
  } catch (cause) {
    if (cause instanceof FeedParseError) throw cause;
    // A shape the parser stack was not built for (a RangeError, a TypeError from an odd tree)
    // is still this feed's failure: recorded and backed off, never a crash of the command.
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    throw new FeedParseError(`unreadable feed: parsing failed with ${what}; the document is malformed or hostile`, { cause });
  }
}

/** A document in an ASCII-transparent encoding (decode-body.ts), kept as bytes until it must be decoded. */
export interface DocumentBytes {
  /** Its bytes, past any byte-order mark. */
  bytes: Uint8Array;
  /** What they are decoded from (decode-body.ts): the same bytes read otherwise are other items. */
  encoding: string;
  /** A cut of `bytes` made at markup, decoded: that cut of the text. */
  decode(cut: Uint8Array): string;
  /** The whole text, decoded once. */
  text(): string;
}

/**
 * As parseFeedTracked, with the items found and hashed in the document's bytes: the known ones
 * are cut out before anything is decoded, and only what is left (the channel, the new items) is
 * decoded, mended and parsed. Decoding was what a changed document cost most: 85 KB of UTF-8
 * with a few quotes above U+00FF is a 170 KB two-byte string, past V8's 128 KB for a heap
 * object, so it is mapped fresh and page-faulted in on every poll (0.7 ms on a 2-core VM,
 * against 0.06 ms to read the bytes as latin1 and find the items in them).
 *
 * Read whole, the items keep their byte hashes for the digest, so the next document is cut by
 * them. A document the byte scan cannot follow, or whose mending is not the same item by item
 * (a DTD, a stray declaration, a namespace prefix the mending strips, a truncated or unbalanced
 * document, JSON), is read as parseFeedTracked reads it.
 */
export async function parseFeedTrackedBytes(document: DocumentBytes, baseUrl: string | null, tracking: Tracking): Promise<TrackedFeed> {
  const items = itemBytes(document.bytes, tracking.maxItems);
  if (items === null) return parseFeedTracked(document.text(), baseUrl, tracking);
  // Byte hashes are known only under a context that names the encoding (and that they are
  // bytes): the same bytes decoded otherwise, or an item's repaired text that happens to equal
  // another's bytes, are other items.
  const bytesTracking = { ...tracking, salt: `${tracking.salt}\u0000bytes ${document.encoding}` };
  if (tracking.known) {
    const cut = await cutKnownBytes(document, items, baseUrl, bytesTracking.salt, tracking.known);
    if (cut) return cut;
  }
  return parseText(document.text(), baseUrl, { ...bytesTracking, known: null }, items.hashes);
}

/** Where a document's items are in its bytes, and their hashes; null when the byte scan does not apply. */
function itemBytes(bytes: Uint8Array, maxItems: number): { spans: Array<[number, number]>; hashes: string[] } | null {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  // Text before the root other than white space (JSON, a BOM as text, junk) is read as text.
  if (view[view.search(/[^\t\n\r ]/)] !== '<') return null;
  const root = rootElementName(view);
  if (root !== 'rss' && root !== 'rdf:RDF' && root !== 'feed') return null;
  // The scan fails on a DOCTYPE (its entities are the whole document's), a stray declaration, an
  // unclosed or unbalanced element, a `<` in an attribute value or PI: mending those, and what
  // repairsItemByItem names, is not the same item by item.
  const spans = itemSpans(view, root, { strict: true });
  if (spans === null || spans.length > maxItems || !repairsItemByItem(view, root)) return null;
  return { spans, hashes: spans.map(([start, end]) => rawItemHash(bytes.subarray(start, end))) };
}

/** The document with its known items cut out of its bytes, read; null when it is not worth it or reads otherwise. */
async function cutKnownBytes(
  document: DocumentBytes,
  items: { spans: Array<[number, number]>; hashes: string[] },
  baseUrl: string | null,
  salt: string,
  known: KnownItems,
): Promise<TrackedFeed | null> {
  const { bytes } = document;
  const skip = skippedHashes(items.hashes, known);
  if (!worthCutting(items.spans, skip, bytes.length)) return null;
  let xml: string;
  try {
    const text = document.decode(
      Buffer.concat(keptRanges(bytes.length, items.spans, skip).map(([start, end]) => bytes.subarray(start, end))),
    );
    // Text either side of a cut item, joined, could declare a prefix the whole document does not.
    if (mayStripPrefixes(text)) return null;
    xml = repairXml(text.slice(text.indexOf('<')));
  } catch {
    return null; // a FeedParseError of the mending: the whole document says it better
  }
  return readCut(xml, items.hashes, skip, baseUrl, salt, known.context);
}

function parseJsonFeed(text: string, baseUrl: string | null, tracking: Tracking | undefined): TrackedFeed {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new FeedParseError(`not a feed: invalid JSON (${(cause as Error).message})`, { cause });
  }
  if (!isJsonFeed(json)) throw new FeedParseError('not a feed: JSON without a JSON Feed "version" or "items"');
  const feedAuthor = jsonFeedAuthors(json)[0] ?? null;
  const feed = readJsonFeedMeta(json, baseUrl);
  const items = jsonFeedItems(json);
  const read = (kept: typeof items): ParsedItem[] =>
    finishItems(
      kept.map((item) => readJsonFeedItem(item, baseUrl)),
      feedAuthor,
    );
  const hashes = tracking && items.length <= tracking.maxItems ? jsonItemHashes(items) : null;
  if (!tracking || !hashes) return untracked({ format: 'json', feed, items: read(items) });
  const context = readingContext('json', baseUrl, feedAuthor, tracking.salt);
  const skip = tracking.known?.context === context ? skippedHashes(hashes, tracking.known) : hashes.map(() => false);
  return {
    parsed: { format: 'json', feed, items: read(items.filter((_, index) => !skip[index])) },
    ...split(hashes, skip, context),
  };
}

/**
 * Each JSON item's hash, from its value as parsed (numbers JSON cannot write again, such as
 * 1e400, kept apart from null); null for an item nested too deep to write again.
 */
function jsonItemHashes(items: readonly unknown[]): string[] | null {
  const keepNonFinite = (_key: string, value: unknown): unknown =>
    typeof value === 'number' && !Number.isFinite(value) ? { '\u0000number': String(value) } : value;
  try {
    return items.map((item) => rawItemHash(JSON.stringify(item, keepNonFinite)));
  } catch {
    return null; // a RangeError: tens of thousands of nested arrays; read whole
  }
}

async function parseXmlFeed(
  text: string,
  baseUrl: string | null,
  tracking: Tracking | undefined,
  byteHashes?: string[],
): Promise<TrackedFeed> {
  const xml = repairXml(text);
  const root = rootElementName(xml);
  if (!root) throw new FeedParseError('not a feed: no XML element found');
  if (!/^(rss|feed|rdf:RDF|RDF)$/i.test(root)) {
    const what = root.toLowerCase() === 'html' ? 'an HTML page' : `XML with root <${root}>`;
    throw new FeedParseError(`not a feed: the document is ${what}, not RSS or Atom`);
  }
  // Read whole: the text's items are the bytes' items, in order, when the parser finds as many.
  if (tracking && byteHashes) return readWholeTracked(xml, baseUrl, tracking.salt, byteHashes);
  const spans = tracking ? itemSpans(xml, root) : null;
  if (!tracking || spans === null || spans.length > tracking.maxItems) return untracked(readTree(await buildTree(xml), baseUrl).parsed);
  const hashes = spans.map(([start, end]) => rawItemHash(xml.slice(start, end)));
  const known = tracking.known;
  // The known items are cut out of the document before the parser sees it; the context is read
  // from what is left (the channel, the root's attributes), which is all of the document but them.
  const skip = known ? skippedHashes(hashes, known) : hashes.map(() => false);
  if (worthCutting(spans, skip, xml.length)) {
    const cut = await readCut(withoutItems(xml, spans, skip), hashes, skip, baseUrl, tracking.salt, known!.context);
    if (cut) return cut;
  }
  return readWholeTracked(xml, baseUrl, tracking.salt, hashes);
}

/** `xml` read whole, its items keeping `hashes` (a scan's, in order); untracked when the parser finds another number of items. */
async function readWholeTracked(xml: string, baseUrl: string | null, salt: string, hashes: string[]): Promise<TrackedFeed> {
  const tree = await buildTree(xml);
  const read = readTree(tree, baseUrl, salt);
  // The scan and the parser disagree on what the items are: untracked.
  if (tree.items.length !== hashes.length) return untracked(read.parsed);
  return {
    parsed: read.parsed,
    ...split(
      hashes,
      hashes.map(() => false),
      read.context,
    ),
  };
}

/** A parsed tree as a feed, with the reading context its items were read under. */
function readTree(tree: Tree, baseUrl: string | null, salt = ''): { parsed: ParsedFeed; context: string } {
  if (tree.format === 'atom') {
    const base = xmlBase(tree.root, baseUrl);
    const author = readAtomFeedAuthor(tree.root);
    const declared = attrOf(tree.root, 'xml:base') ? base : null;
    const raw = tree.items.map((entry) => readAtomEntry(entry, base, declared));
    return {
      parsed: { format: 'atom', feed: readAtomFeed(tree.root, baseUrl), items: finishItems(raw, author) },
      context: readingContext('atom', base, author, salt, declared),
    };
  }
  const feed: ParsedFeedMeta = readRssChannel(tree.channel, tree.root, baseUrl);
  // Relative item links resolve against xml:base, else the feed's own URL; the channel link
  // stands in only when the feed has no http(s) URL (a local file).
  const itemBase = baseUrl && /^https?:/i.test(baseUrl) ? baseUrl : (feed.link ?? baseUrl);
  const base = xmlBase(tree.channel, xmlBase(tree.root, itemBase));
  const author = readRssChannelAuthor(tree.channel);
  const raw = tree.items.map((item) => readRssItem(item, base));
  return { parsed: { format: 'rss', feed, items: finishItems(raw, author) }, context: readingContext('rss', base, author, salt) };
}

/** Where the elements buildTree reads as items are: RSS 2.0 and 0.9x in the channel, RSS 1.0 beside it, Atom in the feed. */
function itemSpans(xml: string, root: string, options: { strict?: boolean } = {}): Array<[number, number]> | null {
  if (root === 'rss') return childElementSpans(xml, ['rss', 'channel'], 'item', options);
  if (root === 'rdf:RDF') return childElementSpans(xml, ['rdf:RDF'], 'item', options);
  if (root === 'feed') return childElementSpans(xml, ['feed'], 'entry', options);
  return null;
}

/** Whether leaving out the items marked in `skip` is worth a cut document: only when they are most of it (a mismatch reads it again whole). */
function worthCutting(spans: ReadonlyArray<[number, number]>, skip: readonly boolean[], length: number): boolean {
  const skipped = spans.reduce((sum, [start, end], index) => (skip[index] ? sum + end - start : sum), 0);
  return skipped > 0 && skipped * 2 >= length;
}

/** The ranges of a document of `length` left once the spans marked in `skip` are cut out (everything between items stays). */
function keptRanges(length: number, spans: ReadonlyArray<[number, number]>, skip: readonly boolean[]): Array<[number, number]> {
  const kept: Array<[number, number]> = [];
  let copied = 0;
  spans.forEach(([start, end], index) => {
    if (!skip[index]) return;
    kept.push([copied, start]);
    copied = end;
  });
  kept.push([copied, length]);
  return kept;
}

/** `xml` without the item spans marked in `skip`. */
function withoutItems(xml: string, spans: ReadonlyArray<[number, number]>, skip: readonly boolean[]): string {
  return keptRanges(xml.length, spans, skip)
    .map(([start, end]) => xml.slice(start, end))
    .join('');
}

/**
 * The cut document `xml` (mended) read, when it reads as the items left in it under the known
 * context; null when a channel reads otherwise now (an author, a base) or the parser reads the
 * cut otherwise (a root left empty reads as no feed): then every item is read.
 */
async function readCut(
  xml: string,
  hashes: readonly string[],
  skip: readonly boolean[],
  baseUrl: string | null,
  salt: string,
  knownContext: string,
): Promise<TrackedFeed | null> {
  const partial = await buildTree(xml).catch(() => null);
  const read = partial && readTree(partial, baseUrl, salt);
  if (!read || read.context !== knownContext || partial.items.length !== skip.filter((skipped) => !skipped).length) return null;
  return { parsed: read.parsed, ...split(hashes, skip, read.context) };
}

/**
 * The known items, except a raw item the document holds more than once: identical items are
 * told apart by their place among each other (normalize-items.ts), so all their copies are read.
 */
function skippedHashes(hashes: readonly string[], known: KnownItems): boolean[] {
  const copies = new Map<string, number>();
  for (const hash of hashes) copies.set(hash, (copies.get(hash) ?? 0) + 1);
  return hashes.map((hash) => copies.get(hash) === 1 && known.hashes.has(hash));
}

function split(hashes: readonly string[], skip: readonly boolean[], context: string): Omit<TrackedFeed, 'parsed'> {
  return {
    itemHashes: hashes.filter((_, index) => !skip[index]),
    knownHashes: hashes.filter((_, index) => skip[index]),
    context,
  };
}

function untracked(parsed: ParsedFeed): TrackedFeed {
  return { parsed, itemHashes: null, knownHashes: [], context: null };
}

/** Runs rss-parser's detection and xml2js tree building, keeping the tree instead of its mapping. */
function buildTree(xml: string): Promise<Tree> {
  // rss-parser's version sniffing reads `$`; with our keys every RSS falls to defaultRSS, and
  // 0.9x and 2.0 are read the same way anyway.
  const parser = new Parser({ defaultRSS: 2, xml2js: { attrkey: ATTRIBUTES_KEY, charkey: TEXT_KEY } });
  const rss = (doc: Record<string, unknown>, rootName: string): Tree => {
    const root = doc[rootName];
    const channel = childOf(root, 'channel');
    // RSS 1.0 puts items beside the channel; 0.9x and 2.0 inside it.
    const items = rootName === 'rss' ? childrenOf(channel, 'item') : childrenOf(root, 'item');
    return { format: 'rss', root, channel, items };
  };
  Object.assign(parser, {
    buildAtomFeed: (doc: Record<string, unknown>): Tree => ({
      format: 'atom',
      root: doc.feed,
      channel: doc.feed,
      items: childrenOf(doc.feed, 'entry'),
    }),
    buildRSS2: (doc: Record<string, unknown>) => rss(doc, 'rss'),
    buildRSS0_9: (doc: Record<string, unknown>) => rss(doc, 'rss'),
    buildRSS1: (doc: Record<string, unknown>) => rss(doc, 'rdf:RDF'),
  });
  return (parser.parseString(xml) as unknown as Promise<Tree>).catch((cause: unknown) => {
    const reason = cause instanceof Error ? cause.message.replace(/\s+/g, ' ').trim() : String(cause);
    throw new FeedParseError(`malformed XML: ${reason}`, { cause });
  });
}

/** Every item the feed has, even one with nothing to show: the parsed model is what the feed says (storage decides what to keep). */
function finishItems(raw: RawItem[], feedAuthor: string | null): ParsedItem[] {
  return raw.map((item) => finishItem(item, feedAuthor));
}

function finishItem(raw: RawItem, feedAuthor: string | null): ParsedItem {
  const authors = [...new Set(raw.authors)];
  return {
    id: raw.guid ?? raw.link ?? fallbackId(raw),
    title: raw.title,
    link: raw.link,
    author: authors.length > 0 ? authors.join(', ') : feedAuthor,
    ...(authors.length === 0 && feedAuthor !== null ? { authorFromFeed: true as const } : {}),
    published: raw.published,
    updated: raw.updated,
    summary: raw.summary,
    content: raw.content,
    categories: [...new Set(raw.categories.map((name) => cleanText(name)).filter((name): name is string => name !== null))],
  };
}

/** Within-feed identity of last resort: a hash of title and date. */
function fallbackId(raw: RawItem): string {
  const basis = `${raw.title ?? ''}\n${raw.published?.toISOString() ?? ''}\n${raw.title ? '' : (raw.summary ?? raw.content ?? '')}`;
  return `sha1:${createHash('sha1').update(basis).digest('hex')}`;
}
