/**
 * Item dates as feeds really write them, polled through the real path (a local server, the
 * parse workers, SQLite) on a server whose clock is not in UTC, and compared with Debian's
 * Python feedparser where feedparser reads them right. Where it does not, the row says why.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { feedReadersMissing, readWithFeedparser } from '../helpers/feed-readers.ts';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { START, startPollApp } from '../helpers/poll-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();
const missing = feedReadersMissing();
const onCi = process.env.CI === 'true';
if (missing && !onCi) console.warn(`feedparser comparisons skipped: ${missing} (apt-get install python3-feedparser; .ci/run does)`);

/** `stored` null: no date a reader can trust, so the story is dated when first seen (START). `feedparser`: 'agrees', or what it does instead. */
const DATES: ReadonlyArray<{ raw: string; stored: string | null; feedparser: string }> = [
  { raw: 'Tue, 20 May 2025 10:00:00 EST', stored: '2025-05-20T15:00:00Z', feedparser: 'agrees' },
  { raw: 'Tue, 20 May 25 10:00:00 GMT', stored: '2025-05-20T10:00:00Z', feedparser: 'agrees' },
  { raw: 'Tue May 20 2025 10:00:00 GMT+0200 (CEST)', stored: '2025-05-20T08:00:00Z', feedparser: 'agrees' },
  { raw: '2025-05-20T10:00:00+02', stored: '2025-05-20T08:00:00Z', feedparser: 'agrees' },
  { raw: '2025-05-20T10:00:00 +02:00', stored: '2025-05-20T08:00:00Z', feedparser: 'agrees' },
  { raw: '2025-05-20 10:00', stored: '2025-05-20T10:00:00Z', feedparser: 'agrees' },
  { raw: 'Issue 12', stored: null, feedparser: 'agrees' },
  { raw: 'Episode 42', stored: null, feedparser: 'agrees' },
  { raw: 'Part 2', stored: null, feedparser: 'agrees' },
  { raw: '01/06/2025', stored: null, feedparser: 'agrees' },
  // RFC 822 with no zone: UTC, not the server's zone. feedparser refuses the date altogether.
  { raw: 'Tue, 20 May 2025 10:00:00', stored: '2025-05-20T10:00:00Z', feedparser: 'refuses a stamp without a zone' },
  { raw: 'May 20, 2025', stored: '2025-05-20T00:00:00Z', feedparser: 'refuses a date without a time' },
  { raw: 'Tue, 20 May 2025 10:00:00 MESZ', stored: '2025-05-20T08:00:00Z', feedparser: 'reads German summer time as UTC' },
  { raw: 'Di, 20 Mai 2025 10:00:00 +0200', stored: '2025-05-20T08:00:00Z', feedparser: 'knows no German month' },
  { raw: 'mar., 20 mai 2025 10:00:00 +0200', stored: '2025-05-20T08:00:00Z', feedparser: 'knows no French month' },
  { raw: '2025/05/20 10:00:00', stored: '2025-05-20T10:00:00Z', feedparser: 'reads it as 2025-12-01' },
  { raw: '2025-05-20 10:00:00 UTC', stored: '2025-05-20T10:00:00Z', feedparser: 'drops the time (MySQL prints this)' },
  { raw: '2025-05-20T10:00:00 EST', stored: '2025-05-20T15:00:00Z', feedparser: 'drops the zone' },
  { raw: '2025-05', stored: '2025-05-01T00:00:00Z', feedparser: 'agrees' },
];

function datedFeed(): string {
  const items = DATES.map(
    ({ raw }, index) => `
    <item>
      <title>Dated column ${index}</title>
      <link>https://dates.example/columns/${index}</link>
      <pubDate>${raw}</pubDate>
    </item>`,
  ).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Dates</title><link>https://dates.example/</link>${items}
</channel></rss>
`;
}

describe('polling a feed: item dates as feeds write them', () => {
  let savedZone: string | undefined;
  beforeEach(() => {
    // A zone with an odd offset, so a stamp read in the server's zone cannot pass for UTC.
    savedZone = process.env.TZ;
    process.env.TZ = 'Pacific/Chatham';
  });
  afterEach(() => {
    if (savedZone === undefined) delete process.env.TZ;
    else process.env.TZ = savedZone;
  });

  it('stores each date as a careful reader reads it, whatever the server zone, and garbage as no date', async () => {
    const server = await serveForTest({ '/rss': serveBody(datedFeed()) });
    const poller = await startPollApp({ dataRoot, feeds: { dates: server.url('/rss') } });

    expect(await poller.pollOne('dates')).toMatchObject({ kind: 'stored', added: DATES.length });

    const stories = await poller.stories('dates');
    const storedDate = (index: number): string | null => {
      const story = stories.find((candidate) => candidate.link === `https://dates.example/columns/${index}`);
      if (!story) throw new Error(`no story for date ${index}`);
      return story.published.getTime() === START.getTime() ? null : story.published.toISOString().replace('.000Z', 'Z');
    };
    expect(DATES.map(({ raw }, index) => ({ raw, stored: storedDate(index) }))).toEqual(DATES.map(({ raw, stored }) => ({ raw, stored })));

    if (missing && !onCi) return;
    const [read] = await readWithFeedparser([{ url: server.url('/rss') }]);
    const agreed = DATES.flatMap(({ raw, feedparser }, index) => (feedparser === 'agrees' ? [{ raw, index }] : []));
    expect(agreed.map(({ raw, index }) => ({ raw, date: read!.entries[index]!.published }))).toEqual(
      agreed.map(({ raw, index }) => ({ raw, date: storedDate(index) })),
    );
  });
});
