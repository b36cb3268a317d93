/**
 * Seeded hostile source feeds, as a fixture server sends them, for the strict-format tests:
 * RSS 2.0, Atom 1.0 and JSON Feed documents whose titles, authors, links, categories,
 * summaries and channel fields are hostile text (hostile-stories.ts) plus the shapes
 * validators trip on: relative and odd URLs (IDN, spaces, quotes, `javascript:`, `data:`,
 * `mailto:`), authors with emails and commas, duplicate and empty categories, RTL and emoji.
 * JSON Feed carries every UTF-16 code unit (lone surrogates and controls too, as JSON
 * escapes); the XML formats escape what XML needs and write `&#N;` references to
 * characters XML 1.0 forbids, which only a lenient reader takes.
 */
import { hostileLink, hostileText } from './hostile-stories.ts';
import { intBetween, pick } from './prng.ts';

type Random = () => number;
export type SourceFormat = 'rss' | 'atom' | 'json';

const ODD_LINKS = [
  'https://bücher.example/kolumne/1',
  'https://xn--bcher-kva.example/k/2',
  'https://news.example.com/a b/c d?q=a b',
  'https://news.example.com/"quoted"/<angle>',
  'http://news.example.com:8080/%zz/%E2%82%AC',
  'mailto:editor@example.org',
  'data:text/plain,hello',
  'javascript:void(0)',
  '../relative/up',
  'relative/plain',
  '/rooted?x=1&y=2',
  'https://عربي.example/مقال',
  'https://news.example.com/\u202Eevil',
  'https://user:pw@news.example.com/private',
  'HTTPS://NEWS.EXAMPLE.COM/UPPER',
  'https://news.example.com/#',
];

const AUTHORS = [
  'jane@example.org (Jane Doe)',
  'Doe, Jane',
  'Jane Doe, John Roe and Ann Poe',
  'Jane Doe <jane@example.org>',
  '"Jane" <jane@example.org>',
  '<b>Jane</b> Doe',
  'مريم الكاتبة',
  '王小明',
  '👩‍💻 Jane',
  '   ',
  '',
  'By JANE DOE',
];

const CATEGORIES = ['Politics', 'politics', 'Politics', '', ' ', 'A, B', 'tag/with/slash', 'سياسة', '🗳️', '<b>bold</b>', 'x'.repeat(300)];

function field(random: Random, choices: readonly string[]): string {
  return random() < 0.5 ? pick(random, choices) : hostileText(random);
}

function link(random: Random): string | null {
  return random() < 0.3 ? pick(random, ODD_LINKS) : hostileLink(random);
}

/** One source item as plain values; the writer of each format encodes them. */
interface SourceItem {
  id: string;
  title: string | null;
  link: string | null;
  author: string | null;
  published: string | null;
  summary: string | null;
  content: string | null;
  categories: string[];
}

function sourceItem(random: Random, feed: number, index: number): SourceItem {
  const day = intBetween(random, 1, 28);
  const dates = [
    `2026-0${intBetween(random, 1, 9)}-${String(day).padStart(2, '0')}T${String(intBetween(random, 0, 23)).padStart(2, '0')}:00:00Z`,
    '1969-12-31T23:59:59Z',
    '0001-01-01T00:00:00Z',
    '10000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    'yesterday',
    '',
  ];
  return {
    id: random() < 0.1 ? `${hostileText(random)}-${feed}-${index}` : `https://ids.example/${feed}/${index}`,
    title: random() < 0.9 ? field(random, ['مقال عن السياسة', 'Emoji 🎉 title', ']]>', '']) : null,
    link: link(random),
    author: random() < 0.8 ? field(random, AUTHORS) : null,
    published: random() < 0.8 ? dates[0]! : pick(random, dates),
    summary: random() < 0.7 ? hostileText(random) : null,
    content: random() < 0.4 ? `<p>${hostileText(random)}</p><a href="${pick(random, ODD_LINKS)}">x</a>` : null,
    categories: Array.from({ length: intBetween(random, 0, 4) }, () => field(random, CATEGORIES)),
  };
}

/** XML text: markup escaped; characters XML 1.0 forbids written as references (ill-formed, as broken feeds send them). */
function xmlText(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // eslint-disable-next-line no-control-regex -- the forbidden characters are the point
      .replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]|[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/g, (char) =>
        char.length === 2 ? char : `&#${char.charCodeAt(0)};`,
      )
  );
}

const tag = (name: string, value: string | null, attributes = ''): string =>
  value === null ? '' : `<${name}${attributes}>${xmlText(value)}</${name}>`;

function rss(channelTitle: string, channelLink: string | null, items: readonly SourceItem[]): string {
  const body = items
    .map(
      (item) =>
        `<item>${tag('title', item.title)}${tag('link', item.link)}${tag('guid', item.id, ' isPermaLink="false"')}${tag('pubDate', item.published && new Date(item.published).toUTCString())}` +
        `${tag('dc:creator', item.author)}${tag('description', item.summary)}${tag('content:encoded', item.content)}${item.categories.map((name) => tag('category', name)).join('')}</item>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>${tag('title', channelTitle)}${tag('link', channelLink)}<description>d</description>\n${body}</channel></rss>\n`;
}

function atom(channelTitle: string, channelLink: string | null, items: readonly SourceItem[]): string {
  const attr = (value: string): string => xmlText(value);
  const body = items
    .map(
      (item) =>
        `<entry>${tag('title', item.title, ' type="text"')}<id>${xmlText(item.id)}</id>${item.link === null ? '' : `<link rel="alternate" href="${attr(item.link)}"/>`}` +
        `${tag('updated', item.published)}${item.author === null ? '' : `<author>${tag('name', item.author)}</author>`}${tag('summary', item.summary, ' type="html"')}` +
        `${tag('content', item.content, ' type="html"')}${item.categories.map((name) => `<category term="${attr(name)}"/>`).join('')}</entry>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">${tag('title', channelTitle)}${channelLink === null ? '' : `<link href="${attr(channelLink)}"/>`}<id>urn:x:feed</id><updated>2026-01-01T00:00:00Z</updated>\n${body}</feed>\n`;
}

function json(channelTitle: string, channelLink: string | null, items: readonly SourceItem[]): string {
  return JSON.stringify({
    version: 'https://jsonfeed.org/version/1.1',
    title: channelTitle,
    ...(channelLink === null ? {} : { home_page_url: channelLink }),
    items: items.map((item) => ({
      id: item.id,
      ...(item.title === null ? {} : { title: item.title }),
      ...(item.link === null ? {} : { url: item.link }),
      ...(item.author === null ? {} : { authors: [{ name: item.author }] }),
      ...(item.published === null ? {} : { date_published: item.published }),
      ...(item.summary === null ? {} : { summary: item.summary }),
      ...(item.content === null ? { content_text: item.summary ?? '' } : { content_html: item.content }),
      tags: item.categories,
    })),
  });
}

const WRITERS: Record<SourceFormat, (title: string, link: string | null, items: readonly SourceItem[]) => string> = { rss, atom, json };

/** A hostile source feed document in `format`: hostile channel title and link, `itemCount` hostile items. */
export function hostileSourceFeed(random: Random, format: SourceFormat, feed: number, itemCount: number): string {
  const items = Array.from({ length: itemCount }, (_, index) => sourceItem(random, feed, index));
  return WRITERS[format](field(random, ['Die Kolumne', 'صحيفة', '']), link(random), items);
}
