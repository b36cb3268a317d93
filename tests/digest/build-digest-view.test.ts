import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { buildDigestView, formatSubject, type DigestViewInput } from '../../src/digest/build-digest-view.ts';
import type { FeedState, Story } from '../../src/model.ts';
import { digestConfigYaml } from '../helpers/digest-app.ts';

const NOW = new Date('2026-07-01T12:00:00Z');
const DAY = 86_400_000;
const config = parseConfig(digestConfigYaml('  - id: d\n    to: [r@example.org]\n'), 'feeds.yaml');
const sources = new Map(config.feeds.map((feed) => [feed.id, feed]));

function story(id: number, feedId: string, overrides: Partial<Story> = {}): Story {
  const published = new Date(NOW.getTime() - id * 3600_000);
  return {
    id,
    publicId: `urn:columnwire:story:${id}`,
    title: `Story ${id}`,
    link: `https://news.example.com/${id}`,
    canonicalUrl: null,
    author: null,
    published,
    claimedPublished: null,
    updated: published,
    summary: null,
    content: null,
    categories: [],
    firstSeenAt: published,
    feedId,
    sources: [{ feedId, link: null, firstSeenAt: published }],
    ...overrides,
  };
}

function feed(id: string, overrides: Partial<FeedState> = {}): FeedState {
  return {
    id,
    url: `https://${id}.example/feed`,
    configuredUrl: `https://${id}.example/feed`,
    title: null,
    siteLink: null,
    etag: null,
    lastModified: null,
    lastFetchAt: NOW,
    lastSuccessAt: NOW,
    nextFetchAt: NOW,
    waitReason: null,
    ttlMinutes: null,
    bodyHash: null,
    consecutiveErrors: 0,
    lastError: null,
    ...overrides,
  };
}

function view(overrides: Partial<DigestViewInput> & { groupBy?: 'outlet' | 'columnist' | 'tag' | 'none' } = {}) {
  const { groupBy = 'outlet', ...rest } = overrides;
  const stories = rest.stories ?? [story(1, 'jane')];
  return buildDigestView({
    digest: { ...config.digests[0]!, groupBy },
    title: 'Test Columns',
    baseUrl: 'https://columns.example.net/',
    stories,
    sources,
    feeds: [],
    lastNewStory: new Map(),
    now: NOW,
    fullStories: stories.length,
    unsubscribeUrl: 'https://columns.example.net/unsubscribe?token=t',
    ...rest,
  });
}

describe('formatSubject', () => {
  it.each([
    ['Columns for {date} ({count})', 'Columns for 1 Jul 2026 (3)'],
    ['{title}: {id} digest, {count} new', 'Test Columns: daily digest, 3 new'],
    ['{count} {count} {date}', '3 3 1 Jul 2026'],
    ['Keeps {unknown} and {{date}} braces', 'Keeps {unknown} and {1 Jul 2026} braces'],
    ['No placeholders', 'No placeholders'],
  ])('fills %j', (template, expected) => {
    expect(formatSubject(template, { date: '1 Jul 2026', count: 3, id: 'daily', title: 'Test Columns' })).toBe(expected);
  });
});

describe('buildDigestView', () => {
  const mixed = [
    story(1, 'jane', { author: 'Zoe Zed' }),
    story(2, 'bob', { author: 'Bob Roe' }),
    story(3, 'ann'),
    story(4, 'jane'),
    story(5, 'quiet-unknown-feed'),
  ];
  it.each([
    [
      'outlet',
      [
        ['Daily Planet', [3]],
        ['Other outlets', [5]],
        ['The Guardian', [2]],
        ['The Times', [1, 4]],
      ],
    ],
    [
      'columnist',
      [
        ['Ann Poe', [3]],
        ['Bob Roe', [2]],
        ['Jane Doe', [4]],
        ['Unknown columnist', [5]],
        ['Zoe Zed', [1]],
      ],
    ],
    [
      'tag',
      [
        ['economy', [2]],
        ['politics', [1, 3, 4]],
        ['Untagged', [5]],
      ],
    ],
    ['none', [[null, [1, 2, 3, 4, 5]]]],
  ] as const)('groups by %s, sorted by name, keeping story order', (groupBy, expected) => {
    const groups = view({ groupBy, stories: mixed }).groups;
    expect(groups.map((group) => [group.name, group.stories.map((entry) => Number(entry.title.split(' ')[1]))])).toEqual(expected);
  });

  it('has no groups for no stories', () => {
    expect(view({ stories: [] })).toMatchObject({
      groups: [],
      count: 0,
      countLabel: '0 new columns',
      more: null,
      subject: 'Columns for 1 Jul 2026 (0)',
    });
  });

  it('counts every story, shows fullStories of them and lists the rest by title', () => {
    const stories = [1, 2, 3, 4].map((id) => story(id, 'jane'));
    const built = view({ stories, fullStories: 1 });
    expect(built.count).toBe(4);
    expect(built.countLabel).toBe('4 new columns');
    expect(built.groups.flatMap((group) => group.stories.map((entry) => entry.title))).toEqual(['Story 1']);
    expect(built.more).toEqual({
      count: 3,
      hidden: 0,
      stories: [2, 3, 4].map((id) => ({ title: `Story ${id}`, link: `https://news.example.com/${id}` })),
    });
  });

  it('lists only listedStories of the rest by title and counts the others', () => {
    const stories = [1, 2, 3, 4].map((id) => story(id, 'jane'));
    expect(view({ stories, fullStories: 1, listedStories: 1 }).more).toEqual({
      count: 3,
      hidden: 2,
      stories: [{ title: 'Story 2', link: 'https://news.example.com/2' }],
    });
  });

  it('describes a story: columnist, outlet and time, excerpt, also-in, and a safe link', () => {
    const entry = view({
      stories: [
        story(1, 'jane', {
          title: null,
          link: 'javascript:alert(1)',
          summary: '<p>A &amp; B</p>',
          sources: [
            { feedId: 'jane', link: null, firstSeenAt: NOW },
            { feedId: 'bob', link: null, firstSeenAt: NOW },
            { feedId: 'gone', link: null, firstSeenAt: NOW },
          ],
        }),
      ],
    }).groups[0]!.stories[0]!;
    // With no safe link of its own, the title leads to the story's card on the site.
    expect(entry).toEqual({
      title: '(untitled)',
      link: expect.stringMatching(/^https:\/\/columns\.example\.net\/stories\/[0-9a-z]+$/),
      cardUrl: expect.stringMatching(/^https:\/\/columns\.example\.net\/stories\/[0-9a-z]+$/),
      meta: 'Jane Doe · The Times · 1 Jul, 11:00 UTC',
      excerpt: 'A & B',
      alsoIn: 'The Guardian, gone',
    });
    expect(entry.link).toBe(entry.cardUrl);
  });

  it('links to the merged feed and web page without doubling slashes', () => {
    expect(view()).toMatchObject({
      feedUrl: 'https://columns.example.net/feed.xml',
      webUrl: 'https://columns.example.net/',
      title: 'Test Columns',
      dateLabel: 'Wednesday, 1 July 2026',
    });
  });

  it.each([
    [
      'a feed failing for more than 24 hours',
      feed('jane', { consecutiveErrors: 5, lastSuccessAt: new Date(NOW.getTime() - 2 * DAY - 3600_000), lastError: 'HTTP 500' }),
      [{ name: 'Jane Doe', problem: 'failing for 2 day(s): HTTP 500' }],
    ],
    [
      'a feed that never fetched',
      feed('bob', { consecutiveErrors: 1, lastSuccessAt: null, lastError: 'getaddrinfo ENOTFOUND' }),
      [{ name: 'Bob Roe', problem: 'never fetched successfully: getaddrinfo ENOTFOUND' }],
    ],
    ['a feed silent for more than 3 weeks', feed('ann'), [{ name: 'Ann Poe', problem: 'no new column for 4 weeks' }]],
  ])('notes %s in the source-health note', (_case, state, expected) => {
    const lastNewStory = new Map([
      ['ann', new Date(NOW.getTime() - 29 * DAY)],
      ['jane', NOW],
      ['bob', NOW],
    ]);
    expect(view({ feeds: [state], lastNewStory }).health).toEqual({ feeds: expected });
  });

  it.each([
    [
      'failing for less than 24 hours',
      feed('jane', { consecutiveErrors: 3, lastSuccessAt: new Date(NOW.getTime() - 23 * 3600_000), lastError: 'HTTP 500' }),
    ],
    ['silent for less than 3 weeks', feed('ann')],
    ['healthy', feed('bob')],
  ])('leaves out a feed %s', (_case, state) => {
    const lastNewStory = new Map([
      ['ann', new Date(NOW.getTime() - 20 * DAY)],
      ['jane', NOW],
      ['bob', NOW],
    ]);
    expect(view({ feeds: [state], lastNewStory }).health).toBeNull();
  });
});
