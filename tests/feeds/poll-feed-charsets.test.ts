/**
 * Charsets as servers really label them, polled through the real path (a local server, the
 * parse workers, SQLite) and compared with Debian's Python feedparser where feedparser reads
 * them right. Where it does not, the row says why.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeWindows1252 } from '../helpers/encodings.ts';
import { feedReadersMissing, readWithFeedparser } from '../helpers/feed-readers.ts';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { startPollApp } from '../helpers/poll-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dataRoot = makeTempDir();
const missing = feedReadersMissing();
const onCi = process.env.CI === 'true';
if (missing && !onCi) console.warn(`feedparser comparisons skipped: ${missing} (apt-get install python3-feedparser; .ci/run does)`);

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/feeds/${name}`, import.meta.url));
const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** `Колонка о политике` in windows-1251. */
const CYRILLIC_1251 = Buffer.from([
  0xca, 0xee, 0xeb, 0xee, 0xed, 0xea, 0xe0, 0x20, 0xee, 0x20, 0xef, 0xee, 0xeb, 0xe8, 0xf2, 0xe8, 0xea, 0xe5,
]);

function rss(declaration: string, titles: ReadonlyArray<Buffer>): Buffer {
  const items = titles.map((title, index) =>
    Buffer.concat([
      utf8(`\n    <item>\n      <title>`),
      title,
      utf8(`</title>\n      <link>https://charsets.example/columns/${index}</link>\n    </item>`),
    ]),
  );
  return Buffer.concat([
    utf8(`${declaration}\n<rss version="2.0"><channel><title>Charsets</title><link>https://charsets.example/</link>`),
    ...items,
    utf8('\n</channel></rss>\n'),
  ]);
}

const CASES: ReadonlyArray<{ behaviour: string; body: Buffer; contentType: string; titles: string[]; feedparser: string }> = [
  {
    behaviour: 'windows-1251 bytes under a template\'s "UTF-8" declaration, the charset the server names',
    body: rss('<?xml version="1.0" encoding="UTF-8"?>', [CYRILLIC_1251]),
    contentType: 'text/xml; charset=windows-1251',
    titles: ['Колонка о политике'],
    feedparser: 'agrees',
  },
  {
    behaviour: 'Latin-1 bytes declared UTF-8 with no charset from the server',
    body: rss('<?xml version="1.0" encoding="UTF-8"?>', [Buffer.from(encodeWindows1252('Café crème, “déjà”'))]),
    contentType: 'application/rss+xml',
    titles: ['Café crème, “déjà”'],
    feedparser: 'agrees',
  },
  {
    behaviour: "UTF-8 under a server's default ISO-8859-1 charset",
    body: rss('<?xml version="1.0"?>', [utf8('Café “quotes” — naïve')]),
    contentType: 'text/xml; charset=ISO-8859-1',
    titles: ['Café “quotes” — naïve'],
    feedparser: 'agrees',
  },
  {
    behaviour: 'UTF-8 with one item pasted in Latin-1 and no declaration',
    body: rss('<?xml version="1.0"?>', [
      utf8('Naïve “smart” quotes — fine'),
      Buffer.concat([utf8('Un caf'), Buffer.from([0xe9]), utf8(' noir')]),
    ]),
    contentType: 'application/rss+xml',
    titles: ['Naïve “smart” quotes — fine', 'Un café noir'],
    feedparser: 'reads the whole document as ISO-8859-2: "NaĂŻve â€œsmartâ€ť"',
  },
  {
    behaviour: 'an ASCII document the server calls UTF-16',
    body: rss('<?xml version="1.0"?>', [utf8('A plain ASCII column')]),
    contentType: 'text/xml; charset=utf-16',
    titles: ['A plain ASCII column'],
    feedparser: 'decodes it as UTF-16 and finds no feed (it reads a UTF-16 declaration on such bytes as UTF-8)',
  },
  {
    behaviour: 'Shift_JIS named by the XML declaration',
    body: fixture('enc-shift-jis.xml'),
    contentType: 'application/rss+xml',
    titles: ['日本の経済政策「円安」を考える'],
    feedparser: 'agrees',
  },
  {
    behaviour: 'GB2312 named only by the Content-Type',
    body: fixture('enc-gb2312-undeclared.xml'),
    contentType: 'text/xml; charset=gb2312',
    titles: ['中文专栏：经济政策的未来'],
    feedparser: 'agrees',
  },
];

describe('polling a feed: charsets as servers label them', () => {
  it.each(CASES)('reads $behaviour', async ({ body, contentType, titles, feedparser }) => {
    const server = await serveForTest({ '/feed': serveBody(body, { headers: { 'content-type': contentType } }) });
    const poller = await startPollApp({ dataRoot, feeds: { charsets: server.url('/feed') } });

    expect(await poller.pollOne('charsets')).toMatchObject({ kind: 'stored', added: titles.length });
    const stored = (await poller.stories('charsets')).map((story) => story.title).sort();
    expect(stored).toEqual([...titles].sort());

    if ((missing && !onCi) || feedparser !== 'agrees') return;
    const [read] = await readWithFeedparser([{ url: server.url('/feed') }]);
    expect(read!.entries.map((entry) => entry.title).sort()).toEqual(stored);
  });

  it('reads the next document of a UTF-8 feed with a stray Latin-1 byte the same way, adding only its new column', async () => {
    const stray = Buffer.concat([utf8('Un caf'), Buffer.from([0xe9]), utf8(' noir')]);
    let titles = [utf8('Naïve “smart” quotes — fine'), stray];
    const server = await serveForTest({
      '/feed': (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('<?xml version="1.0"?>', titles)),
    });
    const poller = await startPollApp({ dataRoot, feeds: { mixed: server.url('/feed') } });
    expect(await poller.pollOne('mixed')).toMatchObject({ kind: 'stored', added: 2 });

    titles = [...titles, utf8('Déjà lu — again')];
    poller.advance(60 * 60 * 1000);
    expect(await poller.pollOne('mixed', { force: true })).toMatchObject({ kind: 'stored', added: 1, updated: 0 });

    expect((await poller.stories('mixed')).map((story) => story.title).sort()).toEqual([
      'Déjà lu — again',
      'Naïve “smart” quotes — fine',
      'Un café noir',
    ]);
  });

  it('reads a UTF-8 JSON Feed as UTF-8 under a charset=iso-8859-1 header (RFC 8259 §8.1: JSON is UTF-8)', async () => {
    const feed = {
      version: 'https://jsonfeed.org/version/1.1',
      title: 'Charsets',
      items: [{ id: '1', url: 'https://charsets.example/json/1', title: 'Café “json” — ok', content_html: '<p>Zoë</p>' }],
    };
    const contentType = 'application/feed+json; charset=iso-8859-1';
    const server = await serveForTest({ '/feed.json': serveBody(JSON.stringify(feed), { headers: { 'content-type': contentType } }) });
    const poller = await startPollApp({ dataRoot, feeds: { json: server.url('/feed.json') } });

    await poller.pollOne('json');

    expect((await poller.stories('json')).map((story) => [story.title, story.content])).toEqual([['Café “json” — ok', '<p>Zoë</p>']]);
  });
});
