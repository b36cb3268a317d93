import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { OpmlParseError, parseOpml } from '../../src/config/parse-opml.ts';
import { planOpmlImport, tagOf } from '../../src/config/plan-opml-import.ts';
import { decodeBody } from '../../src/feeds/decode-body.ts';

const opmlFixture = (name: string) => decodeBody(readFileSync(new URL(`../fixtures/opml/${name}`, import.meta.url)), null);

const EXISTING = parseConfig(
  `feeds:
  - url: https://www.theguardian.com/profile/marinahyde/rss
    id: marina-hyde
  - url: https://example.com/taken
    id: theguardian-georgemonbiot
`,
  'feeds.yaml',
).feeds;

describe('parseOpml', () => {
  it('reads a Feedly export: folders as outlines, the same feed under two folders', () => {
    const subscriptions = parseOpml(opmlFixture('feedly-export.opml'));
    expect(subscriptions.map((entry) => [entry.url, entry.folders])).toEqual([
      ['https://www.theguardian.com/profile/georgemonbiot/rss', ['Politics']],
      ['https://www.theguardian.com/profile/marinahyde/rss', ['Politics']],
      ['https://heathercoxrichardson.substack.com/feed', ['Politics']],
      ['https://paulkrugman.substack.com/feed', ['Economics & Money']],
      ['https://marginalrevolution.com/feed', ['Economics & Money']],
      ['https://www.theguardian.com/profile/georgemonbiot/rss', ['Economics & Money']],
      ['https://www.noahpinion.blog/feed', ['Uncategorized']],
    ]);
    expect(subscriptions[0]).toMatchObject({
      title: 'George Monbiot | The Guardian',
      htmlUrl: 'https://www.theguardian.com/profile/georgemonbiot',
    });
  });

  it('reads nested folders and the category attribute of OPML 2.0', () => {
    const subscriptions = parseOpml(opmlFixture('nested-categories.opml'));
    expect(subscriptions.map(({ url, folders, categories }) => ({ url, folders, categories }))).toEqual([
      { url: 'https://www.project-syndicate.org/rss', folders: ['News', 'Europe'], categories: [] },
      {
        url: 'https://www.ft.com/martin-wolf?format=rss',
        folders: ['News', 'Europe'],
        categories: ['/Economics/Global Markets', 'Weekly'],
      },
      { url: 'https://www.slowboring.com/feed', folders: ['News'], categories: [] },
      { url: 'https://www.theatlantic.com/feed/author/david-frum/', folders: [], categories: ['/Politics/United States'] },
    ]);
  });

  it('copes with a hand-written Latin-1 file: entities, lower-case xmlurl, raw "&", comments, a DOCTYPE, link outlines', () => {
    const subscriptions = parseOpml(opmlFixture('handwritten-latin1.opml'));
    expect(subscriptions.map(({ url, title, folders }) => ({ url, title, folders }))).toEqual([
      { url: 'https://cafe.example.fr/rss.php?cat=opinion&lang=fr', title: 'Le Café du Commerce', folders: ['Économie'] },
      { url: 'http://chroniques.example.fr/feed/', title: "Chroniques d'été", folders: ['Économie'] },
      { url: 'feed://podcast.example.com/rss', title: 'Podcast via feed: scheme', folders: [] },
      { url: 'javascript:alert(1)', title: 'Bookmarklet', folders: [] },
      { url: 'http://theguardian.com/profile/marinahyde/rss/?utm_source=feedly', title: 'Marina Hyde', folders: [] },
      { url: 'https://untitled.example.net/atom.xml', title: null, folders: [] },
    ]);
  });

  it.each([
    {
      behaviour: 'a feed',
      text: '<?xml version="1.0"?><rss version="2.0"><channel/></rss>',
      error: /not an OPML file: the document is a feed \(<rss>\), not a subscription list; add it with "columnwire feeds add URL"/,
    },
    {
      behaviour: 'an HTML page',
      text: '<!doctype html><html><body><outline xmlUrl="https://a.example/x"/></body></html>',
      error: /not an OPML file: the document is an HTML page/,
    },
    { behaviour: 'plain text', text: 'just some words', error: /not an OPML file: no XML element found/ },
  ])('refuses $behaviour', ({ text, error }) => {
    expect(() => parseOpml(text)).toThrow(OpmlParseError);
    expect(() => parseOpml(text)).toThrow(error);
  });

  it('reads a file cut off in the middle', () => {
    const text =
      '<opml version="2.0"><body><outline text="A"><outline type="rss" xmlUrl="https://a.example/feed"/><outline type="rss" xmlUrl="https://b.exa';
    expect(parseOpml(text).map((entry) => entry.url)).toEqual(['https://a.example/feed']);
  });
});

describe('planOpmlImport', () => {
  it.each([
    ['Politics', 'politics'],
    ['Economics & Money', 'economics-money'],
    ['  Global   Markets ', 'global-markets'],
    ['Économie', 'économie'],
    ['C++/Rust', 'c-rust'],
  ])('makes the tag %j into %j', (name, tag) => {
    expect(tagOf(name)).toBe(tag);
  });

  it('merges a feed listed under two folders, skips what the config has, and keeps ids unique', () => {
    const plan = planOpmlImport(parseOpml(opmlFixture('feedly-export.opml')), EXISTING, ['imported']);
    expect(plan.entries[0]).toEqual({
      url: 'https://www.theguardian.com/profile/georgemonbiot/rss',
      // Its derived id is taken in the config, so it gets a suffix.
      id: 'theguardian-georgemonbiot-2',
      title: 'George Monbiot | The Guardian',
      tags: ['politics', 'imported', 'economics-money'],
    });
    expect(plan.entries.map((entry) => entry.id)).toEqual([
      'theguardian-georgemonbiot-2',
      'heathercoxrichardson-substack',
      'paulkrugman-substack',
      'marginalrevolution',
      'noahpinion',
    ]);
    expect(plan.skipped).toEqual([
      { url: 'https://www.theguardian.com/profile/marinahyde/rss', reason: 'already in the config as "marina-hyde"' },
    ]);
  });

  it('turns folders and "/a/b" category paths into tags, and a short description into the outlet', () => {
    const plan = planOpmlImport(parseOpml(opmlFixture('nested-categories.opml')), [], []);
    expect(plan.entries.map(({ id, tags, outlet }) => ({ id, tags, outlet }))).toEqual([
      { id: 'project-syndicate', tags: ['news', 'europe'], outlet: 'Project Syndicate' },
      { id: 'ft-martin-wolf-format', tags: ['news', 'europe', 'economics', 'global-markets', 'weekly'], outlet: undefined },
      { id: 'slowboring', tags: ['news'], outlet: undefined },
      // A long description is the feed's blurb, not an outlet name.
      { id: 'theatlantic-david-frum', tags: ['politics', 'united-states'], outlet: undefined },
    ]);
  });

  it('skips URLs that are not http(s), unwraps feed://, and spots a duplicate behind tracking parameters', () => {
    const plan = planOpmlImport(parseOpml(opmlFixture('handwritten-latin1.opml')), EXISTING, []);
    expect(plan.entries.map((entry) => entry.url)).toEqual([
      'https://cafe.example.fr/rss.php?cat=opinion&lang=fr',
      'http://chroniques.example.fr/feed/',
      'http://podcast.example.com/rss',
      'https://untitled.example.net/atom.xml',
    ]);
    expect(plan.skipped).toEqual([
      { url: 'javascript:alert(1)', reason: 'not an http(s) URL' },
      { url: 'http://theguardian.com/profile/marinahyde/rss/?utm_source=feedly', reason: 'already in the config as "marina-hyde"' },
    ]);
    expect(plan.entries[3]).not.toHaveProperty('title');
  });
});
