import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { runMain } from '../helpers/run-main.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const fixture = (name: string) => new URL(`../fixtures/opml/${name}`, import.meta.url).pathname;

const CONFIG = `title: My Columns

feeds:
  # The one I read first
  - url: https://www.theguardian.com/profile/marinahyde/rss
    id: marina-hyde
    tags: [politics]
`;

function workspace(text = CONFIG) {
  const dir = mkdtempSync(join(root, 'opml-'));
  const path = join(dir, 'feeds.yaml');
  writeFileSync(path, text);
  return {
    dir,
    path,
    text: () => readFileSync(path, 'utf8'),
    cli: (...args: string[]) => runMain(['--config', path, '--data', join(dir, 'data'), ...args]),
  };
}

const feedsOf = (path: string) => parseConfig(readFileSync(path, 'utf8'), path).feeds;

describe('columnwire opml import', () => {
  it("adds a Feedly export with folders as tags, skips what is listed, and keeps the file's own lines", async () => {
    const ws = workspace();
    const result = await ws.cli('opml', 'import', fixture('feedly-export.opml'), '--tag', 'feedly');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'added theguardian-georgemonbiot: https://www.theguardian.com/profile/georgemonbiot/rss [politics, feedly, economics-money]\n',
    );
    expect(result.stdout).toContain('skipped https://www.theguardian.com/profile/marinahyde/rss: already in the config as "marina-hyde"\n');
    expect(result.stdout).toContain(`: 5 feeds added, 1 skipped; run "columnwire check" to try them\n`);
    expect(ws.text().startsWith(CONFIG)).toBe(true);
    expect(ws.text().slice(CONFIG.length)).toBe(`  - url: https://www.theguardian.com/profile/georgemonbiot/rss
    id: theguardian-georgemonbiot
    title: George Monbiot | The Guardian
    tags: [politics, feedly, economics-money]
  - url: https://heathercoxrichardson.substack.com/feed
    id: heathercoxrichardson-substack
    title: Letters from an American
    tags: [politics, feedly]
  - url: https://paulkrugman.substack.com/feed
    id: paulkrugman-substack
    title: Paul Krugman
    tags: [economics-money, feedly]
  - url: https://marginalrevolution.com/feed
    id: marginalrevolution
    title: Marginal REVOLUTION
    tags: [economics-money, feedly]
  - url: https://www.noahpinion.blog/feed
    id: noahpinion
    title: Noahpinion
    tags: [uncategorized, feedly]
`);
    expect(readdirSync(ws.dir)).toEqual(['feeds.yaml']);

    // Importing the same file again finds nothing new and leaves the file alone.
    const again = await ws.cli('opml', 'import', fixture('feedly-export.opml'));
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('nothing to import (0 feeds added, 6 skipped)') });
    expect(feedsOf(ws.path)).toHaveLength(6);
  });

  it('fetches none of the imported feeds', async () => {
    const server = await serveForTest({ '/a.xml': serveBody('<rss/>') });
    const ws = workspace();
    const opml = join(ws.dir, 'local.opml');
    writeFileSync(opml, `<opml version="2.0"><body><outline text="Local" xmlUrl="${server.url('/a.xml')}"/></body></opml>`);
    expect((await ws.cli('opml', 'import', opml)).code).toBe(0);
    expect(server.requests).toHaveLength(0);
    expect(feedsOf(ws.path).map((feed) => feed.url)).toContain(server.url('/a.xml'));
  });

  it('reads nested folders and category paths as tags', async () => {
    const ws = workspace();
    expect((await ws.cli('opml', 'import', fixture('nested-categories.opml'))).code).toBe(0);
    expect(
      feedsOf(ws.path)
        .slice(1)
        .map(({ id, tags }) => ({ id, tags })),
    ).toEqual([
      { id: 'project-syndicate', tags: ['news', 'europe'] },
      { id: 'ft-martin-wolf-format', tags: ['news', 'europe', 'economics', 'global-markets', 'weekly'] },
      { id: 'slowboring', tags: ['news'] },
      { id: 'theatlantic-david-frum', tags: ['politics', 'united-states'] },
    ]);
  });

  it('exits 2 on a file that is not OPML, writing nothing', async () => {
    const ws = workspace();
    const feed = join(ws.dir, 'feed.xml');
    writeFileSync(feed, '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>');
    expect(await ws.cli('opml', 'import', feed)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('not an OPML file: the document is a feed (<rss>)'),
    });
    expect(await ws.cli('opml', 'import', join(ws.dir, 'missing.opml'))).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('cannot read'),
    });
    expect(await ws.cli('opml', 'frobnicate')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown subcommand "frobnicate"'),
    });
    expect(ws.text()).toBe(CONFIG);
  });
});

describe('columnwire opml export', () => {
  const SOURCE = `title: Round Trip
feeds:
  - url: https://times.example.com/jane/rss
    id: jane
    title: Jane Doe
    outlet: The Times
    tags: [politics, uk]
  - url: https://guardian.example.com/bob/rss
    id: bob
    title: Bob Roe & Co
    outlet: The Guardian
    tags: [economics]
  - url: https://planet.example.com/ann/rss?format=rss&edition=uk
    id: ann
    title: Ann "The Planet" Poe
`;

  it('round-trips: exporting and importing into an empty config gives the same feeds', async () => {
    const source = workspace(SOURCE);
    const file = join(source.dir, 'export.opml');
    expect(await source.cli('opml', 'export', '--output', file)).toMatchObject({ code: 0, stdout: '' });
    const printed = await source.cli('opml', 'export');
    expect(printed.stdout.replace(/<dateCreated>.*<\/dateCreated>/, '')).toBe(
      readFileSync(file, 'utf8').replace(/<dateCreated>.*<\/dateCreated>/, ''),
    );

    const target = workspace('title: Empty\nfeeds: []\n');
    expect((await target.cli('opml', 'import', file)).code).toBe(0);
    const shape = ({ url, title, outlet, tags }: { url: string; title: string | null; outlet: string | null; tags: string[] }) => ({
      url,
      title,
      outlet,
      tags,
    });
    expect(
      feedsOf(target.path)
        .map(shape)
        .sort((a, b) => a.url.localeCompare(b.url)),
    ).toEqual(
      feedsOf(source.path)
        .map(shape)
        .sort((a, b) => a.url.localeCompare(b.url)),
    );
  });

  it('prints OPML 2.0 from the real CLI', async () => {
    const ws = workspace(SOURCE);
    const result = await runCli(['--config', ws.path, '--data', join(ws.dir, 'data'), 'opml', 'export']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<opml version="2.0">/);
    expect(result.stdout).toContain('xmlUrl="https://planet.example.com/ann/rss?format=rss&amp;edition=uk"');
  });
});
