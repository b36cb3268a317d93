/**
 * Pure, deterministic generators for the benchmark: realistic columnist articles and the RSS 2.0
 * and Atom 1.0 documents that carry them. The same article id always yields the same text, so
 * an article syndicated into several feeds is the same story (only its guid and the tracking
 * parameters on its link differ), which is exactly what deduplication has to see through.
 */
import { mulberry32 } from '../tests/helpers/prng.ts';

/** The shape of the 1,000-feed ingest set. */
export interface FeedSetSpec {
  feeds: number;
  itemsPerFeed: number;
  /** Items per feed taken from the shared (syndicated) pool. */
  sharedPerFeed: number;
  /** Distinct syndicated articles; ids 0..sharedPool-1. */
  sharedPool: number;
}

export const INGEST_SPEC: FeedSetSpec = { feeds: 1000, itemsPerFeed: 50, sharedPerFeed: 5, sharedPool: 500 };

const BASE_MS = Date.UTC(2025, 2, 31, 18, 0, 0);
const HOUR_MS = 3_600_000;

const FIRST = [
  'Marina',
  'George',
  'Polly',
  'Simon',
  'Zoe',
  'Owen',
  'Gaby',
  'Rafael',
  'Nesrine',
  'Aditya',
  'Martha',
  'Jonathan',
  'Larry',
  'Frances',
  'Kenan',
  'Moya',
  'Hugh',
  'Jessica',
  'Nick',
  'Sonia',
  'Tom',
  'Afua',
  'Paul',
  'Hadley',
  'Will',
  'Ruth',
  'Stephen',
  'Catherine',
  'David',
  'Anne',
  'Peter',
  'Lucy',
  'Daniel',
  'Sarah',
  'Ian',
  'Helen',
  'Andrew',
  'Rachel',
  'Michael',
  'Eleanor',
];
const LAST = [
  'Hyde',
  'Monbiot',
  'Toynbee',
  'Jenkins',
  'Williams',
  'Jones',
  'Hinsliff',
  'Behr',
  'Malik',
  'Chakrabortty',
  'Gill',
  'Freedland',
  'Elliott',
  'Ryan',
  'Malik-Okoro',
  'Lothian-McLean',
  'Muir',
  'Elgot',
  'Cohen',
  'Sodha',
  'Kibasi',
  'Hirsch',
  'Mason',
  'Freeman',
  'Hutton',
  'Wishart',
  'Bush',
  'Bennett',
  'Aaronovitch',
  'Perkins',
  'Oborne',
  'Kellaway',
  'Finkelstein',
  'Vine',
  'Dunt',
  'Fraser',
  'Rawnsley',
  'Tett',
  'Wolf',
  'Stewart',
];
const OUTLETS = [
  ['The Northern Ledger', 'northernledger.co.uk'],
  ['The Evening Courier', 'eveningcourier.com'],
  ['The Weekly Standardbearer', 'standardbearer.org'],
  ['Metro Observer', 'metroobserver.net'],
  ['The Civic Review', 'civicreview.co.uk'],
  ['Harbour Times', 'harbourtimes.com'],
  ['The Meridian', 'themeridian.news'],
  ['Capital Dispatch', 'capitaldispatch.com'],
] as const;
const SUBJECTS = [
  'The Treasury',
  'Westminster',
  'Brussels',
  'The housing market',
  'Our universities',
  'The NHS',
  'The Bank of England',
  'Silicon Valley',
  'The climate movement',
  'Local councils',
  'The Supreme Court',
  'Labour',
  'The Conservatives',
  'Farmers',
  'The high street',
  'Public broadcasting',
  'The rail network',
  'Teachers',
  'The energy regulator',
  'Big tech',
  'The City',
  'Social media',
  'Our water companies',
  'The Fed',
  'Beijing',
  'Washington',
  'The gig economy',
  'Pension funds',
  'The art world',
  'Football’s owners',
  'The planning system',
  'Young voters',
  'Landlords',
  'The care sector',
  'Britain’s ports',
  'The armed forces',
  'Science funding',
  'The press',
  'Rural Britain',
  'The opposition',
];
const PREDICATES = [
  'is quietly running out of road',
  'has forgotten who it works for',
  'cannot fix this on its own',
  'is about to learn a hard lesson',
  'keeps making the same mistake',
  'deserves more credit than it gets',
  'is winning an argument nobody noticed',
  'needs a plan, not a slogan',
  'is being set up to fail',
  'has a trust problem',
  'should stop pretending',
  'is finally telling the truth',
  'faces a reckoning',
  'got lucky, and knows it',
  'is the story nobody wants to cover',
  'has run out of excuses',
  'is betting everything on growth',
  'was warned about this',
  'is not as strong as it looks',
  'could still surprise us',
  'is paying for a decade of drift',
  'has lost the thread',
  'is asking the wrong question',
  'must choose a side',
  'is quietly changing course',
  'is a symptom, not the disease',
  'has outgrown its rules',
  'is where the money went',
  'is borrowing from the future',
  'needs fewer consultants',
];
const TAILS = [
  'on growth',
  'after the budget',
  'this winter',
  'on immigration',
  'over the next decade',
  'in the north',
  'on net zero',
  'before the election',
  'on housing',
  'in Scotland',
  'on tax',
  'after the inquiry',
  'on the cost of living',
  'in our schools',
  'on AI',
  'on trade',
  'in the courts',
  'on public pay',
  'on energy bills',
  'on the green belt',
  'in Europe',
  'on the deficit',
  'on free speech',
  'on water',
  'on welfare',
  'in the shires',
  'on defence',
  'on the railways',
  'on childcare',
  'on the arts',
  'on policing',
  'on pensions',
  'on the BBC',
  'on devolution',
  'on social care',
  'on interest rates',
  'in the Commons',
  'on the NHS backlog',
  'on universities',
  'on the climate',
];
const ENDINGS = [
  '',
  ' – and that should worry us all',
  ': here is why',
  ' – again',
  '. Don’t bet on it changing',
  ' – whatever ministers say',
  '. We should listen',
  ' – just ask the voters',
];
const SECTIONS = [
  'Politics',
  'UK news',
  'Economics',
  'Environment',
  'Technology',
  'Society',
  'Culture',
  'World news',
  'Education',
  'Health',
];
const WORDS =
  'the government said that its plan would deliver growth but economists doubt whether the numbers add up and voters across the country have heard promises like this before while councils struggle with budgets that shrink every year ministers insist the reforms are working yet waiting lists grow longer and rents keep rising in every region young people feel locked out of a system built for their parents and the opposition has offered little beyond slogans meanwhile businesses want certainty investors want stability and families simply want a fair deal this is not a new argument but it has a new urgency because the choices made now will shape the next decade'.split(
    ' ',
  );
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const pick = <T>(list: readonly T[], next: () => number): T => list[Math.floor(next() * list.length)]!;
const pad = (n: number, width = 4): string => String(n).padStart(width, '0');

export interface Article {
  id: number;
  title: string;
  author: string;
  outlet: string;
  /** The clean permalink, no tracking parameters. */
  link: string;
  published: Date;
  categories: string[];
  html: string;
}

/** A columnist's byline; distinct for every index below 1,600. */
export function columnistName(index: number): string {
  return `${FIRST[index % FIRST.length]} ${LAST[Math.floor(index / FIRST.length) % LAST.length]}`;
}

/**
 * Article `id`, written by columnist `columnist`. Titles are distinct for ids below 384,000 (mixed radix).
 * `published` overrides the date derived from the id (a column newer than every generated one).
 */
export function generateArticle(id: number, columnist: number, published = defaultPublished(id, columnist)): Article {
  const next = mulberry32(id * 2_654_435_761 + 17);
  const scrambled = (id * 7_919) % 384_000;
  const title = `${SUBJECTS[scrambled % 40]} ${PREDICATES[Math.floor(scrambled / 40) % 30]} ${TAILS[Math.floor(scrambled / 1200) % 40]}${ENDINGS[Math.floor(scrambled / 48_000) % 8]}`;
  const [outlet, domain] = OUTLETS[columnist % OUTLETS.length]!;
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  const day = `${published.getUTCFullYear()}/${MONTHS[published.getUTCMonth()]}/${pad(published.getUTCDate(), 2)}`;
  const link = `https://www.${domain}/commentisfree/${day}/${slug}`;
  const categories = [pick(SECTIONS, next), pick(SECTIONS, next)].filter((name, index, all) => all.indexOf(name) === index);
  return { id, title, author: columnistName(columnist), outlet, link, published, categories, html: articleHtml(next, link) };
}

function defaultPublished(id: number, columnist: number): Date {
  return new Date(BASE_MS - (id % 2000) * 9 * HOUR_MS - (columnist % 24) * 60_000);
}

function sentence(next: () => number): string {
  const length = 10 + Math.floor(next() * 10);
  const words = Array.from({ length }, () => pick(WORDS, next));
  return `${words.join(' ').replace(/^./, (c) => c.toUpperCase())}.`;
}

function articleHtml(next: () => number, link: string): string {
  const paragraphs = 2 + Math.floor(next() * 3);
  const out: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    let text = `${sentence(next)} ${sentence(next)}`;
    if (p === 0) text = `<strong>${text}</strong>`;
    if (p === 1) text += ` As <a href="${link}#comments">readers pointed out</a>, <em>${sentence(next).toLowerCase()}</em>`;
    out.push(`<p>${text}</p>`);
  }
  out.push(`<p><a href="${link}">Continue reading…</a></p>`);
  return out.join('\n');
}

/** Escapes text for XML character data and attributes. */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Article ids in feed `feed`: own articles first (newest first), then its syndicated picks. */
export function feedArticleIds(spec: FeedSetSpec, feed: number): number[] {
  const own = spec.itemsPerFeed - spec.sharedPerFeed;
  const ids = Array.from({ length: own }, (_, k) => spec.sharedPool + feed * own + k);
  // A step of 101 keeps the picks within one feed distinct (101·k mod 500 differs for k < 5).
  for (let k = 0; k < spec.sharedPerFeed; k++) ids.push((feed * 7 + k * 101) % spec.sharedPool);
  return ids;
}

/**
 * What the server serves: version 1 as generated above; version 2 is the same feed one
 * column later: the columnist's new article on top, the oldest item gone (49 of 50 known).
 */
export type FeedVersion = 1 | 2;

/** The id of feed `feed`'s version-2 article: past every version-1 id, so new to the whole set. */
export function newArticleId(spec: FeedSetSpec, feed: number): number {
  return spec.sharedPool + spec.feeds * (spec.itemsPerFeed - spec.sharedPerFeed) + feed;
}

/** Distinct articles across the whole set at `version`: the stories a perfect deduplication stores. */
export function expectedStories(spec: FeedSetSpec, version: FeedVersion = 1): number {
  const ids = new Set<number>();
  for (let feed = 0; feed < spec.feeds; feed++) for (const id of feedArticleIds(spec, feed)) ids.add(id);
  // Version 2 adds one new article per feed and drops nothing from the store.
  return ids.size + (version === 2 ? spec.feeds : 0);
}

/** The path feed `feed` is served at. */
export function feedPath(feed: number): string {
  return `/feeds/${pad(feed)}.xml`;
}

/** RSS 2.0 for feed `feed` of the set at `version`; `selfUrl` is where it is served. */
export function generateSetFeed(spec: FeedSetSpec, feed: number, selfUrl: string, version: FeedVersion = 1): string {
  const entries = feedArticleIds(spec, feed).map((id) => {
    const syndicated = id < spec.sharedPool;
    return { article: generateArticle(id, syndicated ? (id * 13) % spec.feeds : feed), syndicated };
  });
  let built = new Date(BASE_MS);
  if (version === 2) {
    const oldest = entries.reduce(
      (found, entry, index) => (entry.article.published < entries[found]!.article.published ? index : found),
      0,
    );
    entries.splice(oldest, 1);
    // Newer than every version-1 date (all at or before BASE_MS), so it is the top item.
    built = new Date(BASE_MS + HOUR_MS);
    entries.unshift({ article: generateArticle(newArticleId(spec, feed), feed, built), syndicated: false });
  }
  const items = entries.map(({ article, syndicated }) => rssItem(article, feed, syndicated, feed % 3 === 2));
  const name = columnistName(feed);
  return rssDocument(`${name} | ${OUTLETS[feed % OUTLETS.length]![0]}`, `Columns by ${name}`, selfUrl, items, built);
}

/** One RSS document of `count` distinct articles (the parse benchmark's big feed). */
export function generateBigRss(count: number): string {
  const items = Array.from({ length: count }, (_, k) => rssItem(generateArticle(1_000 + k, k % 997), 0, k % 10 === 0, k % 3 === 2));
  return rssDocument(
    'All columnists | The Northern Ledger',
    'Every column, newest first',
    'https://www.northernledger.co.uk/commentisfree/rss',
    items,
    new Date(BASE_MS),
  );
}

function rssItem(article: Article, feed: number, syndicated: boolean, escapedHtml: boolean): string {
  // Syndicated copies carry per-feed tracking parameters and a per-feed guid: only the canonical link matches them.
  const tracking =
    feed % 2 === 0
      ? `?utm_source=rss&utm_medium=feed&utm_campaign=columnist-${pad(feed)}`
      : `?CMP=share_btn_link&fbclid=IwAR${pad(feed)}x${article.id}`;
  const link = syndicated ? article.link + tracking : article.link;
  const guid = syndicated
    ? `<guid isPermaLink="false">tag:feeds.${article.outlet.toLowerCase().replace(/\W+/g, '')},2025:feed-${pad(feed)}:${article.id}</guid>`
    : `<guid isPermaLink="true">${esc(article.link)}</guid>`;
  const description = escapedHtml ? esc(article.html) : `<![CDATA[${article.html}]]>`;
  return `    <item>
      <title>${esc(article.title)}</title>
      <link>${esc(link)}</link>
      ${guid}
      <pubDate>${article.published.toUTCString()}</pubDate>
      <dc:creator>${esc(article.author)}</dc:creator>
${article.categories.map((name) => `      <category>${esc(name)}</category>`).join('\n')}
      <description>${description}</description>
    </item>`;
}

function rssDocument(title: string, description: string, selfUrl: string, items: string[], built: Date): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>${esc(title)}</title>
    <link>${esc(new URL('/commentisfree', selfUrl).href)}</link>
    <atom:link href="${esc(selfUrl)}" rel="self" type="application/rss+xml"/>
    <description>${esc(description)}</description>
    <language>en-gb</language>
    <lastBuildDate>${built.toUTCString()}</lastBuildDate>
${items.join('\n')}
  </channel>
</rss>
`;
}

/** One Atom 1.0 document of `count` distinct articles. */
export function generateBigAtom(count: number): string {
  const entries = Array.from({ length: count }, (_, k) => {
    const article = generateArticle(1_000 + k, k % 997);
    return `  <entry>
    <id>${esc(article.link)}</id>
    <title type="text">${esc(article.title)}</title>
    <link rel="alternate" type="text/html" href="${esc(article.link)}"/>
    <published>${article.published.toISOString()}</published>
    <updated>${article.published.toISOString()}</updated>
    <author><name>${esc(article.author)}</name></author>
${article.categories.map((name) => `    <category term="${esc(name)}"/>`).join('\n')}
    <summary type="html">${esc(article.html)}</summary>
  </entry>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-gb">
  <title>All columnists | The Northern Ledger</title>
  <id>https://www.northernledger.co.uk/commentisfree</id>
  <link rel="alternate" href="https://www.northernledger.co.uk/commentisfree"/>
  <link rel="self" href="https://www.northernledger.co.uk/commentisfree/atom"/>
  <updated>${new Date(BASE_MS).toISOString()}</updated>
${entries.join('\n')}
</feed>
`;
}
