import { parseStringPromise } from 'xml2js';
import { describe, expect, it } from 'vitest';
import { item } from '../helpers/items.ts';
import { startServedApp } from '../helpers/served-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

describe('home page', () => {
  it('lists the latest stories with columnist, outlet, time and excerpt, and links every feed', async () => {
    const served = await startServedApp(root);
    await served.save('jane', [
      item({
        id: '1',
        title: 'The budget is a fiction',
        summary: '<p>Why the <b>numbers</b> lie &amp; what to do.</p>',
        published: new Date('2026-11-20T08:05:00Z'),
      }),
    ]);
    const response = await served.get('/');
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('<a href="https://news.example.com/opinion/1">The budget is a fiction</a>');
    // Columnist and outlet link to their pages, the date to the story's card.
    expect(html).toMatch(
      /<p class="meta"><a href="https:\/\/columns\.example\.net\/columnists\/jane-doe"><bdi>Jane Doe<\/bdi><\/a> · <a href="https:\/\/columns\.example\.net\/outlets\/the-times"><bdi>The Times<\/bdi><\/a> · <a href="https:\/\/columns\.example\.net\/stories\/[0-9a-f]{32}"><time datetime="2026-11-20T08:05:00\.000Z">20 Nov 2026, 08:05 UTC<\/time><\/a><\/p>/,
    );
    expect(html).toContain('<p class="excerpt">Why the numbers lie &amp; what to do.</p>');
    expect(html).toContain(
      '<link rel="alternate" type="application/rss+xml" title="Test Columns (RSS)" href="https://columns.example.net/feed.xml">',
    );
    expect(html).toContain('<link rel="alternate" type="application/feed+json"');
    // A tag opens its page (which links its feeds), not raw XML.
    expect(html).toContain('<a href="https://columns.example.net/tags/politics">politics</a>');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).not.toContain('<script');
  });

  it('escapes hostile titles, names and excerpts, and never links a javascript: URL', async () => {
    const served = await startServedApp(root);
    await served.save('jane', [
      item({
        id: 'x',
        title: '<script>alert("title")</script> & "quotes"',
        author: '<img src=x onerror=alert(1)>',
        link: 'javascript:alert(document.cookie)',
        summary: '&lt;script&gt;alert("excerpt")&lt;/script&gt;',
      }),
    ]);
    const html = await (await served.get('/')).text();
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('says so when there is nothing yet', async () => {
    const served = await startServedApp(root);
    expect(await (await served.get('/')).text()).toContain('No stories yet');
  });
});

describe('sanitized content in the feeds', () => {
  it('removes scripts, handlers, iframes and styles, and makes relative URLs absolute', async () => {
    const served = await startServedApp(root);
    await served.save('jane', [
      item({
        id: 'h',
        link: 'https://times.example.com/opinion/2026/col',
        content: `<p style="position:fixed;top:0" onclick="steal()">Text <a href="/related" onmouseover="x()">related</a>
<a href="javascript:alert(1)">bad</a></p><script>alert(1)</script><iframe src="https://evil.example/"></iframe>
<img src="img/chart.png" onerror="x()" alt="Chart"><style>body{display:none}</style><form action="/x"><input name="q"></form>`,
      }),
    ]);
    const feed = (await (await served.get('/feed.json')).json()) as { items: Array<{ content_html: string }> };
    const html = feed.items[0]!.content_html;
    for (const forbidden of [
      '<script',
      'onclick',
      'onmouseover',
      'onerror',
      '<iframe',
      'style=',
      '<style',
      'javascript:',
      '<form',
      '<input',
    ]) {
      expect(html).not.toContain(forbidden);
    }
    expect(html).toContain('<a href="https://times.example.com/related">related</a>');
    expect(html).toContain('<img src="https://times.example.com/opinion/2026/img/chart.png" alt="Chart" />');
  });
});

describe('OPML', () => {
  it('lists every source feed once, grouped by first tag, importable by readers', async () => {
    const served = await startServedApp(root);
    const response = await served.get('/opml');
    expect(response.headers.get('content-type')).toContain('text/x-opml');
    type Outline = { $: Record<string, string>; outline?: Outline[] };
    const opml = (await parseStringPromise(await response.text())) as {
      opml: { $: { version: string }; head: Array<{ title: string[] }>; body: Array<{ outline: Outline[] }> };
    };
    expect(opml.opml.$.version).toBe('2.0');
    expect(opml.opml.head[0]!.title[0]).toBe('Test Columns');
    const groups = opml.opml.body[0]!.outline;
    expect(groups.map((group) => group.$.text)).toEqual(['misc', 'politics', 'quiet']);
    const jane = groups.find((group) => group.$.text === 'politics')!.outline![0]!.$;
    expect(jane).toMatchObject({
      type: 'rss',
      text: 'Jane Doe',
      xmlUrl: 'https://times.example.com/jane/rss',
      description: 'The Times',
      category: '/politics,/uk',
    });
    expect(groups.find((group) => group.$.text === 'quiet')!.$).toMatchObject({ type: 'rss', xmlUrl: 'https://quiet.example.org/feed' });
  });
});

describe('well-formed XML', () => {
  it.each(['/feed.xml', '/feed.atom', '/tags/uk/feed.xml', '/opml'])('%s parses as strict XML even with hostile text', async (path) => {
    const served = await startServedApp(root);
    await served.save('jane', [
      item({ id: 'w', title: 'A & B < C > D "E" \u0001', author: "O'Brien & <Co>", categories: ['a&b', '<tag>'] }),
      item({ id: 'v', title: 'A column with content as well as a summary', content: '<p>Full text &amp; more</p>' }),
    ]);
    await expect(parseStringPromise(await (await served.get(path)).text(), { strict: true })).resolves.toBeTruthy();
  });
});

describe('/healthz', () => {
  it('reports status, last poll, feeds and stories while the database answers', async () => {
    const served = await startServedApp(root);
    await served.save('jane', [item({ id: '1' }), item({ id: '2', title: 'Second column on housing' })]);
    const response = await served.get('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', lastPollAt: '2026-11-21T12:00:00.000Z', feeds: 3, stories: 2 });
  });
});
