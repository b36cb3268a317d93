import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';

const warningsFor = (first: string, second: string) =>
  parseConfig(`feeds:\n  - url: ${first}\n    id: one\n  - url: ${second}\n    id: two\n`, 'feeds.yaml').warnings;

describe('a feed listed twice under two spellings of its URL', () => {
  it.each([
    ['http and https', 'http://example.com/feed', 'https://example.com/feed'],
    ['www.', 'https://example.com/feed', 'https://www.example.com/feed'],
    ['a trailing slash', 'https://example.com/feed', 'https://example.com/feed/'],
    ['utm_ parameters', 'https://example.com/feed', 'https://example.com/feed?utm_source=rss&utm_medium=x'],
    ['all at once', 'http://example.com/feed?page=1', 'https://www.example.com/feed/?utm_source=a&page=1'],
  ])('is a warning naming both lines: %s', (_case, first, second) => {
    expect(warningsFor(first, second)).toEqual([
      `feeds.yaml:4: feeds[1].url ${second} is the same feed as feeds[0] on line 2 (${first}), up to http/https, www., a trailing slash and tracking parameters; remove one, or it is polled twice`,
    ]);
  });

  it.each([
    ['another path', 'https://example.com/feed', 'https://example.com/other'],
    ['another query', 'https://example.com/feed?author=jane', 'https://example.com/feed?author=bob'],
    ['another host', 'https://example.com/feed', 'https://example.org/feed'],
  ])('is no warning for %s', (_case, first, second) => {
    expect(warningsFor(first, second)).toEqual([]);
  });

  it('never shows a feed password in the warning', () => {
    const [warning] = warningsFor('https://u:secret@example.com/feed', 'http://u:secret@www.example.com/feed/');
    expect(warning).toContain('feeds[0] on line 2');
    expect(warning).not.toContain('secret');
  });
});
