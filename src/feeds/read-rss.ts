/** RSS 0.9x, 1.0 (RDF) and 2.0 channels and items, from the xml2js tree rss-parser walked. */
import type { ParsedFeedMeta } from '../model.ts';
import { cleanAuthor, cleanBody, cleanText, originalLink, resolveLink } from './clean-text.ts';
import { parseDate } from './parse-date.ts';
import { itunesSummary, mediaDescription, mediaTitle } from './read-media.ts';
import { attrOf, childOf, childText, childrenOf, textOf, xmlBase } from './xml-node.ts';
import type { RawItem } from './raw-item.ts';

/** Feed-level fields of an RSS channel. */
export function readRssChannel(channel: unknown, root: unknown, baseUrl: string | null): ParsedFeedMeta {
  const ttl = Number.parseInt(childText(channel, 'ttl') ?? '', 10);
  return {
    title: cleanText(childText(channel, 'title', 'dc:title')),
    link: resolveLink(childText(channel, 'link'), baseUrl),
    description: cleanBody(childText(channel, 'description', 'dc:description')),
    language: childText(channel, 'language', 'dc:language') ?? attrOf(root, 'xml:lang'),
    updated: parseDate(childText(channel, 'lastBuildDate', 'pubDate', 'dc:date')),
    ttlMinutes: Number.isFinite(ttl) && ttl > 0 ? ttl : null,
  };
}

/** The channel-level author, used for items that name none. */
export function readRssChannelAuthor(channel: unknown): string | null {
  // Not managingEditor: that names the editor (an address), not the columnist.
  return cleanAuthor(childText(channel, 'dc:creator', 'itunes:author', 'author'));
}

/** One RSS item, before ids and fallbacks are settled. */
export function readRssItem(item: unknown, baseUrl: string | null): RawItem {
  const guidNode = childOf(item, 'guid');
  const guid = textOf(guidNode)?.trim() || null;
  // A guid is a permalink unless it says otherwise; a relative one only when it says so outright.
  const permaLink = attrOf(guidNode, 'isPermaLink')?.trim().toLowerCase();
  const guidIsLink = guid !== null && permaLink !== 'false' && (/^https?:\/\//i.test(guid) || permaLink === 'true');
  const base = xmlBase(item, baseUrl);
  const link = childText(item, 'link', 'feedburner:origLink') ?? attrOf(item, 'rdf:about') ?? (guidIsLink ? guid : null);
  const original = originalLink(childText(item, 'feedburner:origLink'));
  return {
    guid: guid ?? attrOf(item, 'rdf:about'),
    title: cleanText(childText(item, 'title', 'dc:title') ?? mediaTitle(item)),
    link: original ?? resolveLink(link, base),
    authors: [...childrenOf(item, 'dc:creator'), ...childrenOf(item, 'author'), ...childrenOf(item, 'itunes:author')]
      .map((node) => cleanAuthor(textOf(node)))
      .filter((name): name is string => name !== null),
    published: parseDate(childText(item, 'pubDate', 'dc:date', 'dcterms:issued', 'dcterms:created')),
    updated: parseDate(childText(item, 'dcterms:modified', 'atom:updated')),
    summary: cleanBody(childText(item, 'description', 'dc:description')) ?? itunesSummary(item) ?? mediaDescription(item),
    content: cleanBody(childText(item, 'content:encoded', 'xhtml:body', 'body')),
    categories: [...childrenOf(item, 'category'), ...childrenOf(item, 'dc:subject'), ...childrenOf(item, 'media:category')].map((node) =>
      textOf(node),
    ),
  };
}
