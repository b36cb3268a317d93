/**
 * Reads a merged feed document back the way the tests check it: RSS and Atom with the strict
 * XML parser, JSON Feed with JSON.parse, each entry as the same neutral record. Fails when an
 * item or entry holds an element a story's text could have injected.
 */
import { expect } from 'vitest';
import type { FeedFormat } from '../../src/publish/build-merged-feed.ts';
import { childrenNamed, onlyChild, parseStrictXml, type XmlTree } from './strict-xml.ts';

const ATOM = 'http://www.w3.org/2005/Atom';
const CW = 'https://columnwire.github.io/ns/1.0';
const DC = 'http://purl.org/dc/elements/1.1/';
const CONTENT = 'http://purl.org/rss/1.0/modules/content/';

/** One entry as a reader gets it back, in the terms of the format it came from. */
export interface Decoded {
  id: string;
  title: string;
  link: string | null;
  published: string;
  updated: string | null;
  summary: string | null;
  content: string | null;
  columnist: string | null;
  outlet: string | null;
  categories: string[];
  /** RSS `<source url>` or Atom `<source>`; JSON Feed has none (null). */
  origin: DecodedOrigin | null;
  sources: Array<{ feed: string; outlet: string; url: string | null; firstSeen: string }>;
}

/** The standard source element as read: RSS gives text and url; Atom gives id, title and self link. */
export interface DecodedOrigin {
  title: string;
  url: string | null;
  /** Atom `<source><id>`; null in RSS. */
  id: string | null;
}

/** Fails when an element holds a child outside `allowed` (`uri local`): what an injection would add. */
function onlyAllowed(node: XmlTree, allowed: ReadonlySet<string>): void {
  const unexpected = node.children.map((child) => `${child.uri} ${child.local}`).filter((name) => !allowed.has(name));
  expect(unexpected, `<${node.local}> children`).toEqual([]);
}

const RSS_ITEM = new Set([
  ' title',
  ' link',
  ' guid',
  ' pubDate',
  ' description',
  ' category',
  `${CONTENT} encoded`,
  `${DC} creator`,
  ' source',
  `${CW} outlet`,
  `${CW} source`,
]);
const RSS_CHANNEL = new Set([' title', ' link', ' description', ' lastBuildDate', ' docs', ' generator', ' ttl', ' item', `${ATOM} link`]);
const ATOM_FEED = new Set(['id', 'title', 'updated', 'generator', 'author', 'link', 'subtitle', 'entry'].map((name) => `${ATOM} ${name}`));
const ATOM_ENTRY = new Set(
  ['title', 'id', 'link', 'updated', 'summary', 'content', 'author', 'category', 'published', 'source']
    .map((name) => `${ATOM} ${name}`)
    .concat([`${CW} outlet`, `${CW} source`]),
);

const ATOM_SOURCE = new Set(['id', 'title', 'link'].map((name) => `${ATOM} ${name}`));

/** RSS 2.0 `<source url>`: text only, exactly one attribute. */
function rssOrigin(item: XmlTree): DecodedOrigin | null {
  const source = onlyChild(item, '', 'source');
  if (!source) return null;
  expect(source.children, '<source> children').toEqual([]);
  expect(Object.keys(source.attributes)).toEqual(['url']);
  return { title: source.text, url: source.attributes.url!, id: null };
}

/** Atom `<source>` (RFC 4287 §4.2.11): one id, one text title, at most one self link, nothing else. */
function atomOrigin(entry: XmlTree): DecodedOrigin | null {
  const source = onlyChild(entry, ATOM, 'source');
  if (!source) return null;
  onlyAllowed(source, ATOM_SOURCE);
  const title = onlyChild(source, ATOM, 'title')!;
  expect(title.attributes.type).toBe('text');
  const link = onlyChild(source, ATOM, 'link');
  if (link) expect(link.attributes.rel).toBe('self');
  return { title: title.text, url: link?.attributes.href ?? null, id: onlyChild(source, ATOM, 'id')!.text };
}

const sourceOf = (node: XmlTree) => ({
  feed: node.attributes.feed!,
  outlet: node.attributes.outlet!,
  url: node.attributes.href ?? null,
  firstSeen: node.attributes.firstSeen!,
});

function decodeRss(document: string): { title: string; entries: Decoded[] } {
  const root = parseStrictXml(document);
  const channel = onlyChild(root, '', 'channel')!;
  expect(root.children).toHaveLength(1);
  onlyAllowed(channel, RSS_CHANNEL);
  const entries = childrenNamed(channel, '', 'item').map((item): Decoded => {
    onlyAllowed(item, RSS_ITEM);
    const guid = onlyChild(item, '', 'guid')!;
    expect(guid.attributes.isPermaLink).toBe('false');
    return {
      id: guid.text,
      title: onlyChild(item, '', 'title')!.text,
      link: onlyChild(item, '', 'link')?.text ?? null,
      published: onlyChild(item, '', 'pubDate')!.text,
      updated: null,
      summary: onlyChild(item, '', 'description')?.text ?? null,
      content: onlyChild(item, CONTENT, 'encoded')?.text ?? null,
      columnist: onlyChild(item, DC, 'creator')?.text ?? null,
      outlet: onlyChild(item, CW, 'outlet')?.text ?? null,
      categories: childrenNamed(item, '', 'category').map((category) => category.text),
      origin: rssOrigin(item),
      sources: childrenNamed(item, CW, 'source').map(sourceOf),
    };
  });
  return { title: onlyChild(channel, '', 'title')!.text, entries };
}

function decodeAtom(document: string): { title: string; entries: Decoded[] } {
  const root = parseStrictXml(document);
  expect(`${root.uri} ${root.local}`).toBe(`${ATOM} feed`);
  onlyAllowed(root, ATOM_FEED);
  const entries = childrenNamed(root, ATOM, 'entry').map((entry): Decoded => {
    onlyAllowed(entry, ATOM_ENTRY);
    const title = onlyChild(entry, ATOM, 'title')!;
    expect(title.attributes.type).toBe('text');
    const links = childrenNamed(entry, ATOM, 'link');
    expect(links.every((one) => one.attributes.rel === 'alternate')).toBe(true);
    const html = (name: string): string | null => {
      const node = onlyChild(entry, ATOM, name);
      if (node) expect(node.attributes.type).toBe('html');
      return node?.text ?? null;
    };
    const categories = childrenNamed(entry, ATOM, 'category');
    expect(categories.every((category) => category.attributes.label === category.attributes.term)).toBe(true);
    const author = onlyChild(entry, ATOM, 'author');
    return {
      id: onlyChild(entry, ATOM, 'id')!.text,
      title: title.text,
      link: onlyChild({ ...entry, children: links }, ATOM, 'link')?.attributes.href ?? null,
      published: onlyChild(entry, ATOM, 'published')!.text,
      updated: onlyChild(entry, ATOM, 'updated')!.text,
      summary: html('summary'),
      content: html('content'),
      columnist: author ? onlyChild(author, ATOM, 'name')!.text : null,
      outlet: onlyChild(entry, CW, 'outlet')?.text ?? null,
      categories: categories.map((category) => category.attributes.term!),
      origin: atomOrigin(entry),
      sources: childrenNamed(entry, CW, 'source').map(sourceOf),
    };
  });
  return { title: onlyChild(root, ATOM, 'title')!.text, entries };
}

type JsonItem = Record<string, unknown> & { _columnwire: { outlet: string | null; columnist: string | null; sources: Decoded['sources'] } };

function decodeJson(document: string): { title: string; entries: Decoded[] } {
  const feed = JSON.parse(document) as { title: string; items: JsonItem[] };
  const entries = feed.items.map((item): Decoded => {
    const authors = item.authors as Array<{ name: string }> | undefined;
    expect(authors?.[0]?.name ?? null).toBe(item._columnwire.columnist);
    return {
      id: item.id as string,
      title: item.title as string,
      link: (item.url as string | undefined) ?? null,
      published: item.date_published as string,
      updated: item.date_modified as string,
      summary: (item.summary as string | undefined) ?? null,
      content: (item.content_html as string | undefined) ?? null,
      columnist: item._columnwire.columnist,
      outlet: item._columnwire.outlet,
      categories: item.tags as string[],
      origin: null,
      sources: item._columnwire.sources,
    };
  });
  return { title: feed.title, entries };
}

const DECODERS: Record<FeedFormat, (document: string) => { title: string; entries: Decoded[] }> = {
  rss: decodeRss,
  atom: decodeAtom,
  json: decodeJson,
};

/** The document's title and entries, read strictly; throws (or fails the test) on anything malformed or injected. */
export function readMergedFeed(format: FeedFormat, document: string): { title: string; entries: Decoded[] } {
  return DECODERS[format](document);
}
