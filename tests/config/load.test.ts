import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.ts';
import { deriveFeedId } from '../../src/config/derive-feed-id.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { problemsOf } from '../helpers/config-problems.ts';

const dir = makeTempDir();

describe('parseConfig', () => {
  it('fills every default from a file with only a feed url', () => {
    const config = parseConfig('feeds:\n  - url: https://example.com/columnist/feed\n', 'feeds.yaml');
    expect(config).toMatchObject({
      title: 'Columnists Digest',
      baseUrl: 'http://localhost:8080',
      retentionDays: 90,
      deliveryRetentionDays: 30,
      poll: {
        schedule: '*/30 * * * *',
        concurrency: 8,
        perHostConcurrency: 2,
        timeoutSeconds: 20,
        maxBytes: 10485760,
        allowPrivateAddresses: false,
      },
      feeds: [{ id: 'example-columnist', url: 'https://example.com/columnist/feed', title: null, outlet: null, tags: [] }],
    });
    expect(Object.isFrozen(config.poll)).toBe(true);
  });

  it('reads every documented key', () => {
    const config = parseConfig(
      `
title: My Columns
baseUrl: https://columns.example.org
retentionDays: 0
poll:
  schedule: "0 * * * *"
  concurrency: 4
  timeoutSeconds: 5
  maxBytes: 2048
  allowPrivateAddresses: true
feeds:
  - url: https://example.com/jane/feed
    id: jane-doe
    title: Jane Doe
    outlet: The Example Times
    tags: [politics, europe]
`,
      'feeds.yaml',
    );
    expect(config.feeds[0]).toEqual({
      id: 'jane-doe',
      url: 'https://example.com/jane/feed',
      title: 'Jane Doe',
      outlet: 'The Example Times',
      tags: ['politics', 'europe'],
    });
    expect(config.poll).toMatchObject({
      schedule: '0 * * * *',
      concurrency: 4,
      timeoutSeconds: 5,
      maxBytes: 2048,
      allowPrivateAddresses: true,
    });
    expect(config.retentionDays).toBe(0);
  });

  it.each([
    [
      'a non-http url',
      'feeds:\n  - url: ftp://example.com/x\n',
      'feeds.yaml:2: feeds[0].url must be an http(s) URL, got "ftp://example.com/x"',
    ],
    [
      'a baseUrl with a query',
      'baseUrl: https://example.com/columns/?utm_source=x\n',
      "feeds.yaml:1: baseUrl must be the site's address without a query (?…) or fragment (#…), e.g. https://example.com/columns/",
    ],
    ['a baseUrl with a fragment', 'baseUrl: "https://example.com/#top"\n', "feeds.yaml:1: baseUrl must be the site's address without"],
    ['a feed without url', 'feeds:\n  - url: https://a.example.com/f\n  - id: jane\n', 'feeds.yaml:3: feeds[1].url is required'],
    ['an unknown key, on its own line', 'poll:\n  concurrency: 2\n  intervall: 5\n', 'feeds.yaml:3: poll has an unknown key "intervall"'],
    ['a string where a number belongs', 'retentionDays: ninety\n', 'feeds.yaml:1: retentionDays must be a number'],
    [
      'a title YAML reads as a number',
      'feeds:\n  - url: https://a.example.com/f\n    title: 1984\n',
      'feeds.yaml:3: feeds[0].title must be text, and YAML reads 1984 as a number: write it in quotes, "1984"',
    ],
    [
      'a tag YAML reads as a number or a boolean',
      'feeds:\n  - url: https://a.example.com/f\n    tags: [2024, 3.10, true]\n',
      'feeds.yaml:3: feeds[0].tags[1] must be text, and YAML reads 3.10 as a number: write it in quotes, "3.10"',
    ],
    ['a number out of range', 'poll:\n  concurrency: 0\n', 'feeds.yaml:2: poll.concurrency must be at least 1'],
    ['a bad cron expression', 'poll:\n  schedule: "every hour"\n', 'feeds.yaml:2: poll.schedule must be a cron expression'],
    [
      'tags given as a string',
      'feeds:\n  - url: https://a.example.com/f\n    tags: politics\n',
      'feeds.yaml:3: feeds[0].tags must be a list of tags',
    ],
    [
      'an id that is not a slug',
      'feeds:\n  - url: https://a.example.com/f\n    id: Jane Doe\n',
      'feeds.yaml:3: feeds[0].id must be a slug',
    ],
    [
      'a duplicate id',
      'feeds:\n  - url: https://a.example.com/f\n    id: jane\n  - url: https://b.example.com/f\n    id: jane\n',
      'feeds.yaml:5: feeds[1].id id "jane" is already used by feeds[0]',
    ],
    [
      'a duplicate url',
      'feeds:\n  - url: https://a.example.com/f\n    id: one\n  - url: https://a.example.com/f\n    id: two\n',
      'feeds.yaml:4: feeds[1].url the same url as feeds[0]',
    ],
    ['feeds that is not a list', 'feeds: https://a.example.com/f\n', 'feeds.yaml:1: feeds must be a list of feeds'],
    ['a YAML syntax error', 'title: ok\nfeeds:\n  - url: https://a.example.com/f\n   bad indent: x\n', 'feeds.yaml:4: YAML syntax error'],
    ['a duplicated key', 'title: A\ntitle: B\n', 'feeds.yaml:2: YAML syntax error'],
  ])('reports %s with file, line and key', (_name, yaml, expected) => {
    expect(problemsOf(yaml).join('\n')).toContain(expected);
  });

  it('lists every problem at once, in line order', () => {
    const problems = problemsOf('baseUrl: nope\npoll:\n  concurrency: -1\nfeeds:\n  - url: gopher://x\n');
    expect(problems.map((problem) => problem.split(':')[1])).toEqual(['1', '3', '5']);
  });

  it('accepts an empty file as all defaults with no feeds', () => {
    expect(parseConfig('', 'feeds.yaml').feeds).toEqual([]);
  });
});

describe('loadConfig', () => {
  it('says how to fix a missing file', () => {
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(/not found; create it .* or pass --config FILE/);
  });

  it('reads a file from disk and names it in errors', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'title: ok\nretentionDays: -3\n');
    expect(() => loadConfig(path)).toThrow(`${path}:2: retentionDays must be at least 0`);
  });

  it('loads the feeds.yaml shipped at the repo root', () => {
    const config = loadConfig(new URL('../../feeds.yaml', import.meta.url).pathname);
    expect(config.feeds.length).toBeGreaterThanOrEqual(12);
  });
});

describe('deriveFeedId', () => {
  it.each([
    ['https://www.theguardian.com/profile/georgemonbiot/rss', 'theguardian-georgemonbiot'],
    ['https://paulkrugman.substack.com/feed', 'paulkrugman-substack'],
    ['https://example.com/columnist/feed', 'example-columnist'],
    ['https://blog.example.org/feed.xml', 'blog-example'],
  ])('derives a stable slug from %s', (url, expected) => {
    expect(deriveFeedId(url)).toBe(expected);
  });
});
