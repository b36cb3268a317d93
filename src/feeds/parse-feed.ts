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
import { repairXml, rootElementName } from './repair-xml.ts';
import { ATTRIBUTES_KEY, childOf, childrenOf, TEXT_KEY, xmlBase } from './xml-node.ts';

export { FeedParseError };

type Tree = { format: 'rss' | 'atom'; root: unknown; channel: unknown; items: unknown[] };

/** Parses RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed text; `baseUrl` (the feed's URL) resolves relative links. */
export async function parseFeed(text: string, baseUrl: string | null): Promise<ParsedFeed> {
  const start = text.search(/[^\s\uFEFF]/);
  if (start === -1) throw new FeedParseError('not a feed: the document is empty');
  const body = text.slice(start);
  try {
    return body[0] === '{' || body[0] === '[' ? parseJsonFeed(body, baseUrl) : await parseXmlFeed(body, baseUrl);
  } catch (cause) {
    if (cause instanceof FeedParseError) throw cause;
    // A shape the parser stack was not built for (a RangeError, a TypeError from an odd tree)
    // is still this feed's failure: recorded and backed off, never a crash of the command.
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    throw new FeedParseError(`unreadable feed: parsing failed with ${what}; the document is malformed or hostile`, { cause });
  }
}

function parseJsonFeed(text: string, baseUrl: string | null): ParsedFeed {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new FeedParseError(`not a feed: invalid JSON (${(cause as Error).message})`, { cause });
  }
  if (!isJsonFeed(json)) throw new FeedParseError('not a feed: JSON without a JSON Feed "version" or "items"');
  const feedAuthor = jsonFeedAuthors(json)[0] ?? null;
  return {
    format: 'json',
    feed: readJsonFeedMeta(json, baseUrl),
    items: finishItems(
      jsonFeedItems(json).map((item) => readJsonFeedItem(item, baseUrl)),
      feedAuthor,
    ),
  };
}

async function parseXmlFeed(text: string, baseUrl: string | null): Promise<ParsedFeed> {
  const xml = repairXml(text);
  const root = rootElementName(xml);
  if (!root) throw new FeedParseError('not a feed: no XML element found');
  if (!/^(rss|feed|rdf:RDF|RDF)$/i.test(root)) {
    const what = root.toLowerCase() === 'html' ? 'an HTML page' : `XML with root <${root}>`;
    throw new FeedParseError(`not a feed: the document is ${what}, not RSS or Atom`);
  }
  const tree = await buildTree(xml);
  if (tree.format === 'atom') {
    const base = xmlBase(tree.root, baseUrl);
    const raw = tree.items.map((entry) => readAtomEntry(entry, base));
    return { format: 'atom', feed: readAtomFeed(tree.root, baseUrl), items: finishItems(raw, readAtomFeedAuthor(tree.root)) };
  }
  const feed: ParsedFeedMeta = readRssChannel(tree.channel, tree.root, baseUrl);
  // Relative item links resolve against xml:base, else the feed's own URL; the channel link
  // stands in only when the feed has no http(s) URL (a local file).
  const itemBase = baseUrl && /^https?:/i.test(baseUrl) ? baseUrl : (feed.link ?? baseUrl);
  const raw = tree.items.map((item) => readRssItem(item, xmlBase(tree.channel, xmlBase(tree.root, itemBase))));
  return { format: 'rss', feed, items: finishItems(raw, readRssChannelAuthor(tree.channel)) };
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
