/**
 * Polling with item digests stores exactly what reading every item would. Two real apps poll the
 * same feeds over HTTP, one as shipped (known items left unread), one reading every document
 * whole; after each of many generated changes (new items, edits, removals, reordering, shared
 * guids, links and titles taken by new items, undated items, identical items, a new channel
 * author) their stories, sources and poll outcomes must be identical. A change of pick reads the
 * next document whole.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { PollOutcome, Story } from '../../src/model.ts';
import { serveForTest } from '../helpers/feed-server.ts';
import { startPollApp, type PollApp } from '../helpers/poll-app.ts';
import { encodeWindows1252 } from '../helpers/encodings.ts';
import { intBetween, mulberry32, pick } from '../helpers/prng.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();

interface Item {
  guid: string | null;
  title: string;
  link: string | null;
  text: string;
  author: string | null;
  date: string | null;
  /** Markup written as it is, unescaped: what the mending (repair-xml.ts) changes. */
  raw?: string;
}

type Format = 'rss' | 'atom' | 'json';

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function render(format: Format, items: readonly Item[], channelAuthor: string | null): string {
  if (format === 'json') {
    return JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      title: 'JSON columns',
      ...(channelAuthor ? { authors: [{ name: channelAuthor }] } : {}),
      items: items.map((item) => ({
        ...(item.guid ? { id: item.guid } : {}),
        title: item.title,
        ...(item.link ? { url: item.link } : {}),
        content_html: item.text,
        ...(item.author ? { authors: [{ name: item.author }] } : {}),
        ...(item.date ? { date_published: item.date } : {}),
      })),
    });
  }
  if (format === 'atom') {
    const entries = items.map(
      (item) =>
        `<entry><title>${escape(item.title)}</title>${item.guid ? `<id>${escape(item.guid)}</id>` : ''}` +
        `${item.link ? `<link rel="alternate" href="${escape(item.link)}"/>` : ''}<content type="html">${escape(item.text)}${item.raw ?? ''}</content>` +
        `${item.author ? `<author><name>${escape(item.author)}</name></author>` : ''}${item.date ? `<updated>${item.date}</updated>` : ''}</entry>`,
    );
    return `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom columns</title>${
      channelAuthor ? `<author><name>${escape(channelAuthor)}</name></author>` : ''
    }\n${entries.join('\n')}\n</feed>`;
  }
  const rssItems = items.map(
    (item) =>
      `<item><title>${escape(item.title)}</title>${item.guid ? `<guid isPermaLink="false">${escape(item.guid)}</guid>` : ''}` +
      `${item.link ? `<link>${escape(item.link)}</link>` : ''}<description>${escape(item.text)}${item.raw ?? ''}</description>` +
      `${item.author ? `<dc:creator>${escape(item.author)}</dc:creator>` : ''}${item.date ? `<pubDate>${new Date(item.date).toUTCString()}</pubDate>` : ''}</item>`,
  );
  return `<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>RSS columns</title><link>https://columns.example/</link>${
    channelAuthor ? `<dc:creator>${escape(channelAuthor)}</dc:creator>` : ''
  }<lastBuildDate>${new Date().toUTCString()}</lastBuildDate>\n${rssItems.join('\n')}\n</channel></rss>`;
}

/** A generated feed that changes the way real ones do, and sometimes the ways that trip a skip. */
class ChangingFeed {
  items: Item[] = [];
  channelAuthor: string | null = null;
  private serial = 0;
  constructor(
    readonly format: Format,
    private readonly random: () => number,
    private readonly shared: { items: Item[] },
    /** Titles and text beyond ASCII, and markup the mending changes (not in JSON). */
    private readonly hostile = false,
  ) {
    for (let i = 0; i < 8; i++) this.items.push(this.fresh());
  }

  private fresh(): Item {
    const n = this.serial++;
    const day = String(1 + (n % 27)).padStart(2, '0');
    return {
      guid: this.random() < 0.8 ? `${this.format}-guid-${n}` : null,
      title: `${this.format} column number ${n} on the week's events${this.hostile ? pick(this.random, HOSTILE_TITLES) : ''}`,
      link: this.random() < 0.9 ? `https://columns.example/${this.format}/${n}?utm_source=feed&n=${n}` : null,
      text: `What the columnist thinks, part ${n}.`,
      author: this.random() < 0.7 ? `Author ${n % 3}` : null,
      date: this.random() < 0.85 ? `2025-05-${day}T08:00:00Z` : null,
      ...(this.hostile && this.format !== 'json' ? { raw: pick(this.random, MENDED_MARKUP) } : {}),
    };
  }

  /** One generated change. */
  step(): void {
    const random = this.random;
    const some = (): Item => this.items[Math.floor(random() * this.items.length)]!;
    const change = random();
    if (change < 0.3 || this.items.length === 0) this.items.unshift(this.fresh());
    else if (change < 0.4) some().title += ' (updated)';
    else if (change < 0.5) some().text += ' Corrected.';
    else if (change < 0.58) this.items.splice(Math.floor(random() * this.items.length), 1);
    else if (change < 0.64) this.items.reverse();
    else if (change < 0.7)
      this.items.unshift({ ...this.fresh(), guid: some().guid ?? 'shared-guid' }); // a reused guid
    else if (change < 0.76)
      this.items.unshift({ ...this.fresh(), link: some().link }); // a new column at a known link
    else if (change < 0.81)
      this.items.unshift({ ...this.fresh(), title: some().title }); // a known title again
    else if (change < 0.85)
      this.items.splice(Math.floor(random() * this.items.length), 0, { ...some() }); // an identical item
    else if (change < 0.88) this.channelAuthor = this.channelAuthor ? null : 'Channel Person';
    else if (change < 0.93 && this.shared.items.length > 0)
      this.items.unshift({ ...this.shared.items[0]! }); // another feed's column
    else this.items.unshift({ ...this.fresh(), date: null, guid: null }); // undated, no guid
    if (this.items.length > 14) this.items.pop();
    if (this.format === 'rss') this.shared.items = this.items;
  }

  body(): string {
    return render(this.format, this.items, this.channelAuthor);
  }
}

const HOSTILE_TITLES = ['', ': l’été “chaud”', ' — ça va ✓', ' 📰 über', ' naïve café'];
const MENDED_MARKUP = [
  '',
  ' caf&eacute;&nbsp;au lait',
  ' fish & chips &c',
  ' a \u0001bell\u0008 &#1;',
  ' &hellip;&mdash;',
  ' <![CDATA[ & raw ]]>',
];

/** `text` as windows-1252 bytes, declared so: what it cannot write becomes `?`. */
function windows1252(text: string): Buffer {
  return Buffer.from(encodeWindows1252(text.replace(/^<\?xml[^>]*\?>/, '<?xml version="1.0" encoding="windows-1252"?>')));
}

/** What a reader sees of the stored stories (ids and times aside: each app numbers its own). */
function seen(stories: readonly Story[]): string[] {
  return stories
    .map((story) =>
      JSON.stringify({
        title: story.title,
        link: story.link,
        author: story.author,
        summary: story.summary,
        content: story.content,
        published: story.published.toISOString(),
        sources: story.sources.map((source) => [source.feedId, source.link]).sort(),
      }),
    )
    .sort();
}

/** Every document read whole: the reference a skipping app must match. */
function readingWhole(poller: PollApp): void {
  const parser = poller.app.poll.parser;
  poller.app.poll.parser = { parse: ({ tracking: _ignored, ...job }) => parser.parse(job) };
}

/**
 * Polls `feeds` with two apps, one leaving known items unread, one reading every document whole,
 * through `steps` generated changes, and checks after each that they stored and answered the same.
 */
async function pollSideBySide(
  feeds: readonly ChangingFeed[],
  random: () => number,
  steps: number,
  bodyOf: (feed: ChangingFeed, index: number) => string | Buffer,
  poll: Record<string, number> = {},
): Promise<{ skipping: number; whole: number }> {
  const served = feeds.map(bodyOf);
  let parsedItems = { skipping: 0, whole: 0 };
  /** Known items the skipping app left unread. */
  let leftUnread = 0;
  const server = await serveForTest(
    Object.fromEntries(
      feeds.map((_, index) => [
        `/feed-${index}`,
        (_req: IncomingMessage, res: ServerResponse) => void res.writeHead(200, { 'content-type': 'application/xml' }).end(served[index]),
      ]),
    ),
  );
  const feedUrls = Object.fromEntries(feeds.map((_, index) => [`f${index}`, server.url(`/feed-${index}`)]));
  const skipping = await startPollApp({ dataRoot, feeds: feedUrls, poll });
  const whole = await startPollApp({ dataRoot, feeds: feedUrls, poll });
  readingWhole(whole);
  for (const [name, poller] of [
    ['skipping', skipping],
    ['whole', whole],
  ] as const) {
    const parser = poller.app.poll.parser;
    poller.app.poll.parser = {
      parse: async (job) => {
        const outcome = await parser.parse(job);
        if (outcome.kind === 'normalized') parsedItems = { ...parsedItems, [name]: parsedItems[name] + outcome.items.length };
        if (outcome.kind === 'normalized' && name === 'skipping') leftUnread += outcome.tracked?.known.length ?? 0;
        return outcome;
      },
    };
  }

  for (let step = 0; step < steps; step++) {
    for (const feed of feeds) if (random() < 0.6) feed.step();
    feeds.forEach((feed, index) => (served[index] = bodyOf(feed, index)));
    const outcomes: Record<string, PollOutcome[]> = {};
    const minutes = intBetween(random, 10, 600);
    for (const [name, poller] of [
      ['skipping', skipping],
      ['whole', whole],
    ] as const) {
      poller.advance(minutes * 60_000);
      const summary = await poller.poll({ force: true });
      // In feed order: feeds are polled side by side, and finish in any order.
      outcomes[name] = [...summary.results].sort((a, b) => a.feed.id.localeCompare(b.feed.id)).map((result) => result.outcome);
    }
    expect(outcomes.skipping, `outcomes after step ${step}`).toEqual(outcomes.whole);
    expect(seen(await skipping.stories()), `stories after step ${step}`).toEqual(seen(await whole.stories()));
  }
  // Even with this many edits and clashes (each read whole, some twice), many items were left unread.
  expect(leftUnread).toBeGreaterThan(steps * feeds.length);
  return parsedItems;
}

describe('leaving known items unread', () => {
  it('stores exactly what reading every item stores, through hundreds of generated changes', async () => {
    const random = mulberry32(61206);
    const shared = { items: [] as Item[] };
    const feeds = (['rss', 'atom', 'json', 'rss'] as const).map((format) => new ChangingFeed(format, random, shared));
    const parsedItems = await pollSideBySide(feeds, random, 120, (feed) => feed.body());
    expect(parsedItems.skipping).toBeLessThan(parsedItems.whole);
  });

  it('does so with text beyond ASCII, markup the mending changes, a byte-order mark and windows-1252', async () => {
    const random = mulberry32(20261207);
    const shared = { items: [] as Item[] };
    const feeds = (['rss', 'atom', 'rss', 'atom', 'json'] as const).map((format) => new ChangingFeed(format, random, shared, true));
    const encodings = [(text: string) => text, (text: string) => `\uFEFF${text}`, windows1252, windows1252, (text: string) => text];
    // One feed at a time: which of two feeds first stores a column both carry is then the same in both apps.
    await pollSideBySide(feeds, random, 60, (feed, index) => encodings[index]!(feed.body()), { concurrency: 1 });
  });

  it('parses only the new column of each poll of a feed that gains one a time', async () => {
    const random = mulberry32(5);
    const feed = new ChangingFeed('rss', random, { items: [] });
    for (let i = 0; i < 42; i++)
      feed.items.unshift({
        ...feed.items[0]!,
        guid: `g${i}`,
        title: `Column ${i} on something else entirely`,
        link: `https://c.example/${i}`,
      });
    let body = feed.body();
    const server = await serveForTest({
      '/feed': (_req: IncomingMessage, res: ServerResponse) => void res.writeHead(200, { 'content-type': 'application/xml' }).end(body),
    });
    const poller = await startPollApp({ dataRoot, feeds: { one: server.url('/feed') } });
    let parsed = 0;
    const parser = poller.app.poll.parser;
    poller.app.poll.parser = {
      parse: async (job) => {
        const outcome = await parser.parse(job);
        if (outcome.kind === 'normalized') parsed += outcome.items.length;
        return outcome;
      },
    };
    expect(await poller.pollOne('one', { force: true })).toMatchObject({ added: 50, itemCount: 50 });
    for (let poll = 1; poll <= 10; poll++) {
      feed.items.unshift({
        ...feed.items[0]!,
        guid: `new-${poll}`,
        title: `A new column, number ${poll}`,
        link: `https://c.example/new/${poll}`,
      });
      feed.items.pop();
      body = feed.body();
      poller.advance(3_600_000);
      expect(await poller.pollOne('one', { force: true })).toMatchObject({ kind: 'stored', added: 1, duplicates: 49, itemCount: 50 });
    }
    expect(parsed).toBe(60);
    expect(await poller.stories('one')).toHaveLength(60);
  });

  it('reads the next document whole after the pick changes', async () => {
    const feed = new ChangingFeed('rss', mulberry32(3), { items: [] });
    const server = await serveForTest({
      '/feed': (_req: IncomingMessage, res: ServerResponse) =>
        void res.writeHead(200, { 'content-type': 'application/xml' }).end(feed.body()),
    });
    const poller = await startPollApp({ dataRoot, feeds: { picked: server.url('/feed') } });
    expect(await poller.pollOne('picked', { force: true })).toMatchObject({ kind: 'stored', added: feed.items.length });
    expect(await poller.app.store.itemDigest('picked')).toMatch(/^v\d+\n/);
    // The store drops the digest when the feed's pick changes (config sync).
    const source = poller.app.config.feeds[0]!;
    await poller.app.store.syncFeeds([{ ...source, pick: { authorKeys: ['author 1'], keepUnsigned: false, names: ['Author 1'] } }]);
    expect(await poller.app.store.itemDigest('picked')).toBeNull();
  });
});
