/**
 * A site under a path (`baseUrl: https://host/news/`): the server answers with the prefix
 * (a proxy passing it on, or no proxy) and without it (a proxy stripping it). Where a prefix
 * is itself a route's first segment, the reading that names a route wins.
 */
import { describe, expect, it } from 'vitest';
import { routeUnderBase } from '../../src/publish/request-target.ts';
import { item } from '../helpers/items.ts';
import { SERVED_CONFIG, startServedApp } from '../helpers/served-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const ROUTES = new Set(['/', '/feed.xml', '/columnists', '/feeds/x/feed.xml', '/feeds/feeds/feed.xml']);
const isRoute = (path: string) => ROUTES.has(path);

describe('routeUnderBase', () => {
  it.each([
    ['/news/feed.xml', '/news', '/feed.xml'],
    ['/news/', '/news', '/'],
    ['/news', '/news', '/'],
    ['/feed.xml', '/news', '/feed.xml'],
    ['/newsroom/feed.xml', '/news', '/newsroom/feed.xml'],
    ['/news/nothing', '/news', '/nothing'],
    ['/feed.xml', '', '/feed.xml'],
    // The prefix is itself a route's first segment: the reading that is a route wins.
    ['/feeds/x/feed.xml', '/feeds', '/feeds/x/feed.xml'],
    ['/feeds/feed.xml', '/feeds', '/feed.xml'],
    ['/feeds/feeds/x/feed.xml', '/feeds', '/feeds/x/feed.xml'],
    ['/columnists/columnists', '/columnists', '/columnists'],
    // The prefix alone is the home page, unless it is a route (a stripping proxy's /columnists).
    ['/columnists', '/columnists', '/columnists'],
    ['/columnists/', '/columnists', '/'],
    // Percent-encoding is compared as sent, as every route is.
    ['/my%20news/feed.xml', '/my%20news', '/feed.xml'],
    ['/my news/feed.xml', '/my%20news', '/my news/feed.xml'],
  ])('%s under %j → %s', (path, base, route) => {
    expect(routeUnderBase(path, base, isRoute)).toBe(route);
  });
});

describe('a site whose baseUrl has a path', () => {
  it('serves every route with the prefix and without it, and links with the prefix', async () => {
    const served = await startServedApp(
      root,
      SERVED_CONFIG.replace('baseUrl: https://columns.example.net', 'baseUrl: https://columns.example.net/feeds/'),
    );
    await served.save('jane', [item({ id: 'j1', title: 'The budget', author: 'Jane Doe' })]);
    const ok = async (path: string) => {
      const response = await served.get(path);
      expect(response.status, path).toBe(200);
      return response.text();
    };
    // The merged feed under the prefix, a source feed's as a stripping proxy passes it, and with the prefix.
    expect(await ok('/feeds/feed.xml')).toContain('<atom:link href="https://columns.example.net/feeds/feed.xml" rel="self"');
    expect(await ok('/feeds/jane/feed.xml')).toContain('The budget');
    expect(await ok('/feeds/feeds/jane/feed.xml')).toContain('The budget');
    expect(await ok('/feeds/feed.atom')).toContain('The budget');
    const home = await ok('/feeds/');
    expect(home).toContain('href="https://columns.example.net/feeds/columnists"');
    expect(await ok('/feeds/columnists')).toContain('Jane Doe');
    expect(await ok('/feeds/opml')).toContain('xmlUrl="https://jane.example/feed"');
    expect((await served.get('/feeds/feeds/nobody/feed.xml')).status).toBe(404);
    expect((await served.get('/feedsx/feed.xml')).status).toBe(404);
  });
});

describe('a baseUrl written with characters a URL encodes', () => {
  it('links and answers at the encoded address: a space or an accent in the path, capitals in the host', async () => {
    const served = await startServedApp(
      root,
      SERVED_CONFIG.replace('baseUrl: https://columns.example.net', 'baseUrl: "https://Columns.Example.net/café news/"'),
    );
    await served.save('jane', [item({ id: 'j1', title: 'The budget', author: 'Jane Doe' })]);
    const base = 'https://columns.example.net/caf%C3%A9%20news';
    const home = await (await served.get('/caf%C3%A9%20news/')).text();
    expect(home).toContain(`<link rel="alternate" type="application/rss+xml" title="Test Columns (RSS)" href="${base}/feed.xml">`);
    expect(home).toContain(`href="${base}/columnists"`);
    expect(home).not.toContain('café news');
    const feed = await served.get('/caf%C3%A9%20news/feed.xml');
    expect(feed.status).toBe(200);
    expect(await feed.text()).toContain(`<atom:link href="${base}/feed.xml" rel="self"`);
  });
});
