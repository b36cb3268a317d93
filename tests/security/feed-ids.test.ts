/** A feed id is public (/feeds/{id}/feed.xml, OPML, logs): one derived from a private feed's URL carries none of its secrets. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { deriveFeedId } from '../../src/config/derive-feed-id.ts';

describe('derived feed ids', () => {
  it.each([
    'https://members.example.com/columns/feed?token=t0kenvalue42',
    'https://members.example.com/columns/feed?api_key=t0kenvalue42&format=rss',
    'https://alice:t0kenvalue42@members.example.com/columns/feed',
  ])('leave the secrets of %s out', (url) => {
    expect(deriveFeedId(url)).not.toContain('t0kenvalue42');
    expect(deriveFeedId(url)).toMatch(/^members-example-columns/);
  });

  it('are the same as for the URL without its secrets', () => {
    const config = parseConfig('feeds:\n  - url: https://members.example.com/jane/rss?token=t0kenvalue42\n', 'feeds.yaml');
    expect(config.feeds.map((feed) => feed.id)).toEqual([deriveFeedId('https://members.example.com/jane/rss')]);
  });
});
