/**
 * Strict validators for published documents, as outside testers run them: each returns the
 * list of violations (empty when valid), written from the specs rather than from our code.
 * Atom: RFC 4287's RELAX NG schema (Appendix B, run by Debian's `jing`) plus its prose rules
 * the schema cannot say. RSS 2.0: the RSS Advisory Board spec as the W3C Feed Validation
 * Service applies it. JSON Feed 1.1 (jsonfeed.org/version/1.1). OPML 2.0 (opml.org/spec2).
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { childrenNamed, parseStrictXml, type XmlTree } from './strict-xml.ts';

const run = promisify(execFile);
export const JING = '/usr/bin/jing';
const ATOM_RNC = fileURLToPath(new URL('../fixtures/atom-rfc4287/atom.rnc', import.meta.url));
const ATOM = 'http://www.w3.org/2005/Atom';
const XHTML = 'http://www.w3.org/1999/xhtml';

/** RFC 3339 date-time (§5.6), a four-digit year. */
const RFC3339 = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** RFC 822 §5 with RFC 1123's four-digit year, as RSS 2.0 and the W3C validator want it. */
const RFC822 =
  /^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2})(?::(\d{2}))? (UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[A-IK-Z]|[+-]\d{4})$/;

/** Why Debian's jing cannot run here, or null. */
export function jingMissing(): string | null {
  return existsSync(JING) ? null : `${JING} not found (apt-get install jing)`;
}

/** Atom documents against RFC 4287's RELAX NG schema with jing, in one run; violations name the file. */
export async function validateAtomSchema(dir: string, documents: ReadonlyMap<string, string>): Promise<string[]> {
  const files = [...documents].map(([name, text], index) => {
    const file = join(dir, `atom-${index}.xml`);
    writeFileSync(file, text);
    return [file, name] as const;
  });
  try {
    await run(JING, ['-c', ATOM_RNC, ...files.map(([file]) => file)], { maxBuffer: 64 << 20 });
    return [];
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? String(error);
    let lines = output.trim().split('\n');
    for (const [file, name] of files) lines = lines.map((line) => line.replaceAll(file, name));
    return lines;
  }
}

// RFC 3987 §2.2 absolute IRI: RFC 3986's characters (unreserved, sub-delims, ":" "@" "/" "?",
// "%" HH) plus ucschar (non-ASCII, without noncharacters or the bidi controls §4.1 forbids);
// "[" "]" only around an IP literal host, "#" only once. W3C's validator checks the same.
const UCS = '\\u00A0-\\u200D\\u2010-\\u2029\\u202F-\\u2065\\u206A-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFEF\\u{10000}-\\u{EFFFD}';
const PCHAR = `A-Za-z0-9\\-._~!$&'()*+,;=:@%${UCS}`;
const IRI = new RegExp(
  `^[A-Za-z][A-Za-z0-9+.-]*:(?://(?:[${PCHAR}]*@)?(?:\\[[0-9A-Fa-f:.]+\\]|[${PCHAR}]*))?[${PCHAR}/]*` +
    `(?:\\?[${PCHAR}/?]*)?(?:#[${PCHAR}/?]*)?$`,
  'u',
);

/** Whether `value` is an absolute IRI (RFC 3987), percent signs each starting an escape. */
export function absoluteIri(value: string | undefined): boolean {
  return value !== undefined && IRI.test(value) && !/%(?![0-9A-Fa-f]{2})/.test(value);
}

/** An absolute IRI whose scheme is http(s) with a host. */
export function httpUrl(value: string | undefined): boolean {
  return absoluteIri(value) && /^https?:\/\/[^/?#]/i.test(value!);
}

const atomOne = (node: XmlTree, local: string): XmlTree[] => childrenNamed(node, ATOM, local);

/** RFC 4287's prose rules (the schema's Schematron annotations and what §3-§4 say in words). */
export function atomRules(document: string): string[] {
  const problems: string[] = [];
  const feed = parseStrictXml(document);
  const ids = new Set<string>();
  const feedHasAuthor = atomOne(feed, 'author').length > 0;
  const checkDate = (node: XmlTree, where: string): void => {
    for (const name of ['updated', 'published'])
      for (const date of atomOne(node, name))
        if (!RFC3339.test(date.text)) problems.push(`${where} <${name}> "${date.text}" is not RFC 3339`);
  };
  const checkLinks = (node: XmlTree, where: string): void => {
    const alternates = new Set<string>();
    for (const link of atomOne(node, 'link')) {
      if (!absoluteIri(link.attributes.href)) problems.push(`${where} link href "${link.attributes.href}" is not an absolute IRI`);
      if ((link.attributes.rel ?? 'alternate') !== 'alternate') continue;
      const key = `${link.attributes.type ?? ''} ${link.attributes.hreflang ?? ''}`;
      if (alternates.has(key)) problems.push(`${where} has two alternate links of type+hreflang "${key}" (§4.1.1)`);
      alternates.add(key);
    }
  };
  const checkText = (node: XmlTree, where: string): void => {
    for (const name of ['title', 'subtitle', 'summary', 'rights', 'content']) {
      for (const construct of atomOne(node, name)) {
        const type = construct.attributes.type ?? 'text';
        if (construct.attributes.src !== undefined && (construct.text !== '' || construct.children.length > 0))
          problems.push(`${where} <${name} src> is not empty (§4.1.3.2)`);
        if ((type === 'text' || type === 'html') && construct.children.length > 0)
          problems.push(`${where} <${name} type="${type}"> holds elements: its markup must be escaped (§3.1.1)`);
        if (
          type === 'xhtml' &&
          (construct.children.length !== 1 ||
            construct.children[0]!.uri !== XHTML ||
            construct.children[0]!.local !== 'div' ||
            construct.text.trim())
        )
          problems.push(`${where} <${name} type="xhtml"> is not one xhtml:div (§3.1.1.3)`);
      }
    }
  };
  const feedId = atomOne(feed, 'id')[0]?.text;
  if (!absoluteIri(feedId)) problems.push(`feed id "${feedId}" is not an absolute IRI`);
  checkDate(feed, 'feed');
  checkLinks(feed, 'feed');
  checkText(feed, 'feed');
  atomOne(feed, 'entry').forEach((entry, index) => {
    const id = atomOne(entry, 'id')[0]?.text;
    const where = `entry ${index} (${id})`;
    if (!absoluteIri(id)) problems.push(`${where}: id is not an absolute IRI (§4.2.6)`);
    if (id !== undefined && ids.has(id)) problems.push(`${where}: id is not unique in the feed`);
    if (id !== undefined) ids.add(id);
    for (const person of [...atomOne(entry, 'author'), ...atomOne(entry, 'contributor')]) {
      if (!atomOne(person, 'name')[0]?.text.trim()) problems.push(`${where}: a person with a blank name (§3.2.1)`);
      for (const uri of atomOne(person, 'uri'))
        if (!absoluteIri(uri.text)) problems.push(`${where}: person uri "${uri.text}" is not an IRI (§3.2.2)`);
    }
    for (const category of atomOne(entry, 'category'))
      if (!category.attributes.term?.trim()) problems.push(`${where}: a category with a blank term (§4.2.2.1)`);
    if (!atomOne(entry, 'title')[0]?.text.trim()) problems.push(`${where}: blank title`);
    const sourceAuthors = atomOne(entry, 'source').flatMap((source) => atomOne(source, 'author'));
    if (!feedHasAuthor && atomOne(entry, 'author').length === 0 && sourceAuthors.length === 0)
      problems.push(`${where}: no author (§4.1.2)`);
    const alternate = atomOne(entry, 'link').some((link) => (link.attributes.rel ?? 'alternate') === 'alternate');
    if (!alternate && atomOne(entry, 'content').length === 0) problems.push(`${where}: neither an alternate link nor content (§4.1.1)`);
    for (const source of atomOne(entry, 'source')) {
      const sourceId = atomOne(source, 'id')[0]?.text;
      if (sourceId !== undefined && !absoluteIri(sourceId)) problems.push(`${where}: source id "${sourceId}" is not an absolute IRI`);
      checkLinks(source, `${where} source`);
    }
    checkDate(entry, where);
    checkLinks(entry, where);
    checkText(entry, where);
  });
  return problems;
}

/** The date as RFC 822 with a four-digit year, a known zone and the right weekday; else why not. */
export function rfc822Problem(text: string): string | null {
  const match = RFC822.exec(text);
  if (!match) return `"${text}" is not an RFC 822 date with a four-digit year`;
  const [, day, date, month, year, hour, minute, second = '00'] = match;
  const time = new Date(Date.UTC(Number(year), MONTHS.indexOf(month!), Number(date), Number(hour), Number(minute), Number(second)));
  if (time.getUTCDate() !== Number(date) || Number(hour) > 23) return `"${text}" names no such day or time`;
  if (day && DAYS[time.getUTCDay()] !== day) return `"${text}" has the wrong weekday`;
  return null;
}

const RSS_CHANNEL_ONCE = [
  'title',
  'link',
  'description',
  'language',
  'copyright',
  'managingEditor',
  'webMaster',
  'pubDate',
  'lastBuildDate',
  'docs',
  'generator',
  'ttl',
  'image',
  'cloud',
  'rating',
  'textInput',
  'skipHours',
  'skipDays',
];
const RSS_ITEM_ONCE = ['title', 'link', 'description', 'author', 'comments', 'enclosure', 'guid', 'pubDate', 'source'];

/** RSS 2.0 as the W3C Feed Validation Service checks it. */
export function rssRules(document: string): string[] {
  const problems: string[] = [];
  const rss = parseStrictXml(document);
  if (rss.local !== 'rss' || rss.uri !== '' || rss.attributes.version !== '2.0') problems.push('root is not <rss version="2.0">');
  const channels = childrenNamed(rss, '', 'channel');
  if (channels.length !== 1) return [...problems, `${channels.length} channels`];
  const channel = channels[0]!;
  const once = (node: XmlTree, names: readonly string[], where: string): void => {
    for (const name of names) if (childrenNamed(node, '', name).length > 1) problems.push(`${where}: more than one <${name}>`);
  };
  const text = (node: XmlTree, name: string): string | undefined => childrenNamed(node, '', name)[0]?.text;
  once(channel, RSS_CHANNEL_ONCE, 'channel');
  for (const name of ['title', 'link', 'description'])
    if (!text(channel, name)?.trim()) problems.push(`channel: <${name}> missing or empty`);
  if (!httpUrl(text(channel, 'link'))) problems.push(`channel link "${text(channel, 'link')}" is not a URL`);
  for (const name of ['pubDate', 'lastBuildDate']) {
    const date = text(channel, name);
    const problem = date === undefined ? null : rfc822Problem(date);
    if (problem) problems.push(`channel <${name}>: ${problem}`);
  }
  const ttl = text(channel, 'ttl');
  if (ttl !== undefined && !/^\d+$/.test(ttl)) problems.push(`<ttl> "${ttl}" is not an integer`);
  const selfLinks = childrenNamed(channel, ATOM, 'link').filter((link) => link.attributes.rel === 'self');
  if (selfLinks.length !== 1 || !httpUrl(selfLinks[0]!.attributes.href))
    problems.push('channel: no one atom:link rel="self" with an absolute href');
  const guids = new Set<string>();
  childrenNamed(channel, '', 'item').forEach((item, index) => {
    const where = `item ${index}`;
    once(item, RSS_ITEM_ONCE, where);
    if (!text(item, 'title')?.trim() && !text(item, 'description')?.trim()) problems.push(`${where}: neither title nor description`);
    for (const name of ['title', 'description', 'author', 'source'])
      if (text(item, name)?.trim() === '') problems.push(`${where}: blank <${name}>`);
    for (const creator of childrenNamed(item, 'http://purl.org/dc/elements/1.1/', 'creator'))
      if (!creator.text.trim()) problems.push(`${where}: blank dc:creator`);
    const link = text(item, 'link');
    if (link !== undefined && !httpUrl(link)) problems.push(`${where}: link "${link}" is not a URL`);
    const guid = childrenNamed(item, '', 'guid')[0];
    if (guid) {
      const permalink = guid.attributes.isPermaLink ?? 'true';
      if (permalink !== 'true' && permalink !== 'false') problems.push(`${where}: isPermaLink="${permalink}"`);
      if (permalink === 'true' && !httpUrl(guid.text)) problems.push(`${where}: permalink guid "${guid.text}" is not a URL`);
      if (!guid.text.trim()) problems.push(`${where}: empty guid`);
      if (guids.has(guid.text)) problems.push(`${where}: guid "${guid.text}" repeats`);
      guids.add(guid.text);
    }
    const date = text(item, 'pubDate');
    const problem = date === undefined ? null : rfc822Problem(date);
    if (problem) problems.push(`${where} <pubDate>: ${problem}`);
    for (const enclosure of childrenNamed(item, '', 'enclosure')) {
      const { url, length, type } = enclosure.attributes;
      if (!httpUrl(url) || !/^\d+$/.test(length ?? '') || !/^[\w.+-]+\/[\w.+-]+/.test(type ?? '')) problems.push(`${where}: bad enclosure`);
    }
    for (const category of childrenNamed(item, '', 'category')) {
      if (!category.text.trim()) problems.push(`${where}: empty <category>`);
      const domain = category.attributes.domain;
      if (domain !== undefined && !domain.trim()) problems.push(`${where}: empty category domain`);
    }
    for (const source of childrenNamed(item, '', 'source'))
      if (!httpUrl(source.attributes.url)) problems.push(`${where}: <source> url "${source.attributes.url}" is not a URL`);
  });
  return problems;
}

const JSON_STRINGS = ['title', 'home_page_url', 'feed_url', 'description', 'user_comment', 'next_url', 'icon', 'favicon', 'language'];
const ITEM_STRINGS = [
  'id',
  'url',
  'external_url',
  'title',
  'content_html',
  'content_text',
  'summary',
  'image',
  'banner_image',
  'date_published',
  'date_modified',
  'language',
];
const URL_FIELDS = ['home_page_url', 'feed_url', 'next_url', 'icon', 'favicon', 'url', 'external_url', 'image', 'banner_image'];

function authorProblems(authors: unknown, where: string): string[] {
  if (authors === undefined) return [];
  if (!Array.isArray(authors)) return [`${where}: authors is not an array`];
  return authors.flatMap((author: Record<string, unknown>, index) => {
    const problems: string[] = [];
    if (typeof author !== 'object' || author === null) return [`${where}: authors[${index}] is not an object`];
    if (!['name', 'url', 'avatar'].some((key) => typeof author[key] === 'string'))
      problems.push(`${where}: authors[${index}] has no name, url or avatar`);
    if (typeof author.name === 'string' && !author.name.trim()) problems.push(`${where}: authors[${index}] has a blank name`);
    for (const key of ['url', 'avatar'])
      if (key in author && !httpUrl(author[key] as string)) problems.push(`${where}: authors[${index}].${key} is not a URL`);
    return problems;
  });
}

/** JSON Feed 1.1 (https://jsonfeed.org/version/1.1). */
export function jsonFeedRules(document: string): string[] {
  const problems: string[] = [];
  const feed = JSON.parse(document) as Record<string, unknown>;
  if (feed.version !== 'https://jsonfeed.org/version/1.1') problems.push(`version is ${String(feed.version)}`);
  if (typeof feed.title !== 'string') problems.push('title is not a string');
  const strings = (object: Record<string, unknown>, keys: readonly string[], where: string): void => {
    for (const key of keys)
      if (key in object && typeof object[key] !== 'string')
        problems.push(`${where}: ${key} is ${JSON.stringify(object[key])}, not a string`);
    for (const key of URL_FIELDS)
      if (key in object && !httpUrl(object[key] as string))
        problems.push(`${where}: ${key} "${String(object[key])}" is not an absolute URL`);
  };
  strings(feed, JSON_STRINGS, 'feed');
  // 1.1 readers read `authors` only; a feed keeping 1.0's `author` for old readers must say it in `authors` too.
  if ('author' in feed && !('authors' in feed)) problems.push('feed: 1.0 `author` without 1.1 `authors`');
  problems.push(...authorProblems(feed.authors, 'feed'));
  if (!Array.isArray(feed.items)) return [...problems, 'items is not an array'];
  const ids = new Set<string>();
  (feed.items as Array<Record<string, unknown>>).forEach((item, index) => {
    const where = `item ${index} (${String(item.id)})`;
    strings(item, ITEM_STRINGS, where);
    if (typeof item.id !== 'string' || !item.id) problems.push(`${where}: id is not a non-empty string`);
    else if (ids.has(item.id)) problems.push(`${where}: id repeats`);
    else ids.add(item.id);
    if (typeof item.content_html !== 'string' && typeof item.content_text !== 'string')
      problems.push(`${where}: neither content_html nor content_text`);
    for (const key of ['date_published', 'date_modified'])
      if (key in item && !RFC3339.test(item[key] as string)) problems.push(`${where}: ${key} is not RFC 3339`);
    if ('tags' in item && (!Array.isArray(item.tags) || !item.tags.every((tag) => typeof tag === 'string')))
      problems.push(`${where}: tags is not an array of strings`);
    if (typeof item.title === 'string' && !item.title.trim()) problems.push(`${where}: blank title`);
    if ('author' in item && !('authors' in item)) problems.push(`${where}: 1.0 \`author\` without 1.1 \`authors\``);
    problems.push(...authorProblems(item.authors, where));
  });
  return problems;
}

/** OPML 2.0 (http://opml.org/spec2.opml). */
export function opmlRules(document: string): string[] {
  const problems: string[] = [];
  const opml = parseStrictXml(document);
  if (opml.local !== 'opml' || opml.attributes.version !== '2.0') problems.push('root is not <opml version="2.0">');
  const head = childrenNamed(opml, '', 'head');
  const body = childrenNamed(opml, '', 'body');
  if (head.length !== 1 || body.length !== 1) return [...problems, 'not one head and one body'];
  const title = childrenNamed(head[0]!, '', 'title')[0];
  if (!title?.text.trim()) problems.push('head: no title');
  for (const name of ['dateCreated', 'dateModified']) {
    const date = childrenNamed(head[0]!, '', name)[0];
    const problem = date ? rfc822Problem(date.text) : null;
    if (problem) problems.push(`head <${name}>: ${problem}`);
  }
  const outlines = (node: XmlTree): XmlTree[] => childrenNamed(node, '', 'outline').flatMap((child) => [child, ...outlines(child)]);
  const all = outlines(body[0]!);
  if (all.length === 0) problems.push('body: no outline');
  for (const outline of all) {
    const { text, type, xmlUrl, htmlUrl } = outline.attributes;
    const where = `outline "${text}"`;
    if (!text?.trim()) problems.push(`outline ${JSON.stringify(outline.attributes)}: no text`);
    if (type === 'rss' && !httpUrl(xmlUrl)) problems.push(`${where}: type="rss" without an absolute xmlUrl ("${xmlUrl}")`);
    if (htmlUrl !== undefined && !httpUrl(htmlUrl)) problems.push(`${where}: htmlUrl "${htmlUrl}" is not an absolute http(s) URL`);
  }
  return problems;
}
