/**
 * Video and podcast feeds describe their entries in Media RSS and iTunes elements, not in
 * `<description>` or `<summary>`: YouTube's Atom puts the description in
 * `<media:group><media:description>`, podcasts in `<itunes:summary>`. Read as feedparser reads
 * them, as the entry's summary when the entry has no summary of its own.
 */
import { describe, expect, it } from 'vitest';
import { parseFeed } from '../../src/feeds/parse-feed.ts';

const YOUTUBE = `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id=UC123"/>
 <id>yt:channel:UC123</id>
 <yt:channelId>UC123</yt:channelId>
 <title>Jane Doe Talks</title>
 <link rel="alternate" href="https://www.youtube.com/channel/UC123"/>
 <author><name>Jane Doe Talks</name><uri>https://www.youtube.com/channel/UC123</uri></author>
 <published>2019-01-01T00:00:00+00:00</published>
 <entry>
  <id>yt:video:abc123</id>
  <yt:videoId>abc123</yt:videoId>
  <yt:channelId>UC123</yt:channelId>
  <title>Why budgets fail</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=abc123"/>
  <author><name>Jane Doe Talks</name><uri>https://www.youtube.com/channel/UC123</uri></author>
  <published>2025-05-20T10:00:00+00:00</published>
  <updated>2025-05-21T08:00:00+00:00</updated>
  <media:group>
   <media:title>Why budgets fail</media:title>
   <media:content url="https://www.youtube.com/v/abc123?version=3" type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="https://i1.ytimg.com/vi/abc123/hqdefault.jpg" width="480" height="360"/>
   <media:description>A budget is a plan &amp; a promise.
Chapters: 0:00 intro, 3:10 if spending &lt; revenue…

Support the channel: https://example.org/support</media:description>
   <media:community><media:starRating count="10" average="5.00" min="1" max="5"/><media:statistics views="1234"/></media:community>
  </media:group>
 </entry>
 <entry>
  <id>yt:video:def456</id>
  <title>A short with no description</title>
  <link rel="alternate" href="https://www.youtube.com/shorts/def456"/>
  <published>2025-05-19T10:00:00+00:00</published>
  <media:group><media:title>A short with no description</media:title><media:description></media:description></media:group>
 </entry>
</feed>`;

const PODCAST = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>The Column, read aloud</title><link>https://pod.example/</link>
 <itunes:author>Jane Doe</itunes:author>
 <item>
  <title>Episode 12: the cabinet</title>
  <guid isPermaLink="false">pod-12</guid>
  <link>https://pod.example/12</link>
  <pubDate>Tue, 20 May 2025 10:00:00 GMT</pubDate>
  <enclosure url="https://pod.example/12.mp3" length="1000" type="audio/mpeg"/>
  <itunes:summary><![CDATA[<p>This week: <b>the cabinet</b>.</p>]]></itunes:summary>
 </item>
 <item>
  <title>Episode 11: trains</title>
  <guid isPermaLink="false">pod-11</guid>
  <link>https://pod.example/11</link>
  <pubDate>Tue, 13 May 2025 10:00:00 GMT</pubDate>
  <description>The description wins.</description>
  <itunes:summary>Not this summary.</itunes:summary>
 </item>
 <item>
  <title>Episode 10: rates</title>
  <guid isPermaLink="false">pod-10</guid>
  <link>https://pod.example/10</link>
  <pubDate>Tue, 06 May 2025 10:00:00 GMT</pubDate>
  <media:content url="https://pod.example/10.mp4" type="video/mp4">
   <media:description type="html">&lt;p&gt;Rates &lt;i&gt;explained&lt;/i&gt;.&lt;/p&gt;</media:description>
  </media:content>
 </item>
 <item>
  <guid isPermaLink="false">pod-9</guid>
  <link>https://pod.example/9</link>
  <pubDate>Tue, 29 Apr 2025 10:00:00 GMT</pubDate>
  <media:group>
   <media:title>Episode 9: only a media title</media:title>
   <media:description>Compare a &lt;b&gt; tag with 3 &lt; 4.</media:description>
  </media:group>
 </item>
 <item>
  <title>Episode 8: markup sent as plain text</title>
  <guid isPermaLink="false">pod-8</guid>
  <link>https://pod.example/8</link>
  <pubDate>Tue, 22 Apr 2025 10:00:00 GMT</pubDate>
  <media:description>&lt;p&gt;Show notes&lt;/p&gt;</media:description>
 </item>
</channel></rss>`;

const OTHER_PREFIX = `<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:m="http://search.yahoo.com/mrss/">
 <title>Clips</title><id>urn:clips</id><updated>2025-05-20T10:00:00Z</updated>
 <entry><id>urn:clips:1</id><title>Clip</title><updated>2025-05-20T10:00:00Z</updated>
  <link href="https://clips.example/1"/>
  <m:group><m:description>Under another prefix.</m:description></m:group>
 </entry>
</feed>`;

describe('parseFeed: descriptions of video and podcast entries', () => {
  it("reads a YouTube entry's media:group description as its summary, plain text shown as written", async () => {
    const parsed = await parseFeed(YOUTUBE, 'https://www.youtube.com/feeds/videos.xml?channel_id=UC123');

    expect(parsed.items.map(({ title, link, summary }) => ({ title, link, summary }))).toEqual([
      {
        title: 'Why budgets fail',
        link: 'https://www.youtube.com/watch?v=abc123',
        summary:
          '<p>A budget is a plan &amp; a promise.<br>Chapters: 0:00 intro, 3:10 if spending &lt; revenue…</p>' +
          '<p>Support the channel: https://example.org/support</p>',
      },
      { title: 'A short with no description', link: 'https://www.youtube.com/shorts/def456', summary: null },
    ]);
  });

  it('reads itunes:summary and media:description when an item has no description, and the description first', async () => {
    const parsed = await parseFeed(PODCAST, 'https://pod.example/feed.xml');

    expect(parsed.items.map(({ title, summary }) => ({ title, summary }))).toEqual([
      { title: 'Episode 12: the cabinet', summary: '<p>This week: <b>the cabinet</b>.</p>' },
      { title: 'Episode 11: trains', summary: 'The description wins.' },
      { title: 'Episode 10: rates', summary: '<p>Rates <i>explained</i>.</p>' },
      { title: 'Episode 9: only a media title', summary: 'Compare a &lt;b&gt; tag with 3 &lt; 4.' },
      // Declared plain (the default) but holding an end tag: feedparser reads it as markup too.
      { title: 'Episode 8: markup sent as plain text', summary: '<p>Show notes</p>' },
    ]);
  });

  it('reads the Media RSS namespace under another prefix', async () => {
    const parsed = await parseFeed(OTHER_PREFIX, 'https://clips.example/feed.atom');

    expect(parsed.items[0]!.summary).toBe('Under another prefix.');
  });

  it('keeps an Atom summary before a media description', async () => {
    const withSummary = YOUTUBE.replace('<media:group>', '<summary>The entry’s own summary.</summary><media:group>');

    const parsed = await parseFeed(withSummary, 'https://www.youtube.com/feeds/videos.xml?channel_id=UC123');

    expect(parsed.items[0]!.summary).toBe('The entry’s own summary.');
  });
});
