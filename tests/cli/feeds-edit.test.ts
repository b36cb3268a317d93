import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFixture, serveBody, startFeedServer, type FeedServer } from '../helpers/feed-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { runMain } from '../helpers/run-main.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
const html = { headers: { 'content-type': 'text/html; charset=utf-8' } };
let server: FeedServer;

beforeAll(async () => {
  const feed = serveBody(httpFixture('columnist.xml'));
  server = await startFeedServer({
    '/jane.xml': feed,
    '/bob.xml': serveBody(`<?xml version="1.0"?><rss version="2.0"><channel><title>Bob on money</title><link>https://bob.example/</link>
<item><title>Interest rates, explained again</title><link>https://bob.example/rates</link><guid>bob-1</guid><pubDate>Mon, 02 Jun 2025 08:00:00 GMT</pubDate></item>
</channel></rss>`),
    '/real-feed.xml': feed,
    '/real/feed.xml': feed,
    '/profile/priya': serveBody(httpFixture('page-with-feed-link.html'), html),
    '/profile/jane': serveBody('<html><head><link rel="alternate" type="application/rss+xml" href="/jane.xml"></head></html>', html),
    '/broken.xml': serveBody(httpFixture('malformed-mismatched-tags.xml')),
  });
});

afterAll(() => server.close());

const config = () => `# Columnists I follow
title: Test Columns   # merged feed title

poll:
  allowPrivateAddresses: true   # the test server is on 127.0.0.1
  timeoutSeconds: 5

feeds:
  # Jane, Fridays
  - url: ${server.origin}/jane.xml
    id: jane
    outlet: The Times
    tags: [politics]

  - url: ${server.origin}/bob.xml
    id: bob
    tags: [economics]   # for the economy digest

digests:
  - id: economy
    to: [reader@example.com]
    feeds: [bob]
`;

/** A fresh folder with feeds.yaml (the config above unless told), and the CLI bound to it: in-process, or as a real process. */
function workspace(text = config()) {
  const dir = mkdtempSync(join(root, 'ws-'));
  const path = join(dir, 'feeds.yaml');
  writeFileSync(path, text);
  const globals = ['--config', path, '--data', join(dir, 'data')];
  return {
    dir,
    path,
    text: () => readFileSync(path, 'utf8'),
    cli: (...args: string[]) => runMain([...globals, ...args]),
    process: (...args: string[]) => runCli([...globals, ...args]),
  };
}

describe('columnwire feeds add', () => {
  it('finds the feed on a page, proves it parses and appends it, changing nothing else in the file', async () => {
    const ws = workspace();
    const result = await ws.process(
      'feeds',
      'add',
      server.url('/profile/priya'),
      '--title',
      'Priya Raman',
      '--tag',
      'economics',
      '--tag',
      'uk',
    );

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      `found feed ${server.url('/real-feed.xml')} on page ${server.url('/profile/priya')}\n` +
        `added feed 127-0-0-real: ${server.url('/real-feed.xml')} (The Ledger — Opinion, 3 items) to ${ws.path}\n`,
    );
    expect(ws.text()).toBe(
      config().replace(
        '\n\ndigests:',
        `

  - url: ${server.url('/real-feed.xml')}
    id: 127-0-0-real
    title: Priya Raman
    tags: [economics, uk]

digests:`,
      ),
    );
    expect(readdirSync(ws.dir)).toEqual(['feeds.yaml']);
    const listed = JSON.parse((await ws.cli('feeds', '--json')).stdout) as Array<{ id: string; title: string }>;
    expect(listed.map((feed) => feed.id)).toEqual(['jane', 'bob', '127-0-0-real']);
  });

  it('refuses a feed that does not parse and writes nothing', async () => {
    const ws = workspace();
    const result = await ws.cli('feeds', 'add', server.url('/broken.xml'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/feeds add: .*\/broken\.xml: malformed XML: .*; nothing was written/);
    expect(ws.text()).toBe(config());
  });

  it.each([
    { behaviour: 'tracking parameters', url: () => `${server.origin}/jane.xml?utm_source=twitter&utm_medium=social` },
    { behaviour: 'a trailing slash', url: () => `${server.origin}/jane.xml/` },
    { behaviour: 'https instead of http', url: () => server.url('/jane.xml').replace('http:', 'https:') },
  ])('refuses a feed already listed under another spelling ($behaviour) before fetching it', async ({ url }) => {
    const ws = workspace();
    const before = server.requests.length;
    const result = await ws.cli('feeds', 'add', url());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`is already in ${ws.path} as feed "jane" (${server.url('/jane.xml')}); nothing was written`);
    expect(server.requests.length).toBe(before);
    expect(ws.text()).toBe(config());
  });

  it('refuses a page whose feed is already listed', async () => {
    const ws = workspace();
    const result = await ws.cli('feeds', 'add', server.url('/profile/jane'));
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('as feed "jane"') });
    expect(ws.text()).toBe(config());
  });

  it('numbers a derived id that is taken, and refuses an explicit id that is taken', async () => {
    const ws = workspace();
    expect(await ws.cli('feeds', 'add', server.url('/real-feed.xml'))).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('added feed 127-0-0-real:'),
    });
    // Another URL whose derived id is the same.
    expect(await ws.cli('feeds', 'add', server.url('/real/feed.xml'))).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('added feed 127-0-0-real-2:'),
    });
    const taken = await ws.cli('feeds', 'add', `${server.origin}/bob.xml?edition=uk`, '--id', 'jane');
    expect(taken).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`the id "jane" is already used by ${server.url('/jane.xml')}; choose another --id`),
    });
    expect(await ws.cli('feeds', 'add', server.url('/real/feed.xml'), '--id', 'Not A Slug')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--id must be a slug'),
    });
  });

  it('refuses to edit a config that is already invalid, listing its problems', async () => {
    const broken = config().replace('id: bob', 'id: jane');
    const ws = workspace(broken);
    const before = server.requests.length;
    const result = await ws.cli('feeds', 'add', server.url('/real-feed.xml'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${ws.path}:16: feeds[1].id id "jane" is already used by feeds[0]`);
    expect(server.requests.length).toBe(before);
    expect(ws.text()).toBe(broken);
  });
});

describe('columnwire feeds remove', () => {
  it('removes the entry with its comment and keeps every other line, comments included', async () => {
    const ws = workspace(config().replace('feeds: [bob]', 'feeds: [jane]'));
    const original = ws.text();
    const result = await ws.cli('feeds', 'remove', 'bob');
    expect(result).toMatchObject({
      code: 0,
      stdout: `removed feed bob (${server.url('/bob.xml')}) from ${ws.path}; its stored stories stay\n`,
    });
    expect(ws.text()).toBe(
      original.replace(`  - url: ${server.origin}/bob.xml\n    id: bob\n    tags: [economics]   # for the economy digest\n\n`, ''),
    );

    const jane = await workspace().cli('feeds', 'remove', 'jane');
    expect(jane.stdout).toContain('  with the comment above it: # Jane, Fridays\n');
  });

  it('exits 2 for an unknown id and says how to list the ids', async () => {
    const ws = workspace();
    const result = await ws.cli('feeds', 'remove', 'nobody');
    expect(result).toMatchObject({
      code: 2,
      stderr: `columnwire: feeds remove: no feed with id "nobody" in ${ws.path}; run "columnwire feeds" to list the ids\n`,
    });
  });

  it('refuses to remove a feed a digest lists, naming the digest', async () => {
    const ws = workspace();
    const result = await ws.cli('feeds', 'remove', 'bob');
    expect(result).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        'digest "economy" lists feed "bob" in its feeds:; take it out of that list first (nothing was written)',
      ),
    });
    expect(ws.text()).toBe(config());
  });

  it('keeps the stories of a removed feed after the next poll', async () => {
    // The fixture's columns are from 2025: keep them whatever today's date.
    const ws = workspace(
      config().replace('feeds: [bob]', 'tags: [economics]').replace('title: Test Columns', 'retentionDays: 0\ntitle: Test Columns'),
    );
    expect((await ws.cli('poll')).code).toBe(0);
    const stories = async () =>
      (
        JSON.parse((await ws.cli('export', '--format', 'json', '--limit', '100')).stdout) as {
          items: Array<{ title: string; _columnwire: { sources: Array<{ feed: string }> } }>;
        }
      ).items.map((item) => `${item.title} <- ${item._columnwire.sources.map((source) => source.feed).join(', ')}`);
    const before = await stories();
    expect(before).toHaveLength(4);

    expect((await ws.cli('feeds', 'remove', 'jane')).code).toBe(0);
    const poll = await ws.cli('poll');
    expect(poll.stdout).toContain('bob:');
    expect(poll.stdout).not.toContain('jane');
    expect(await stories()).toEqual(before);
    expect(before).toContain('In praise of the public library <- jane');
  });
});

describe('columnwire feeds tag', () => {
  it('adds tags without duplicates and takes them off with --remove', async () => {
    const ws = workspace();
    expect(await ws.cli('feeds', 'tag', 'jane', 'uk', 'politics', 'opinion')).toMatchObject({
      code: 0,
      stdout: 'feed jane tags: politics, uk, opinion\n',
    });
    expect(ws.text()).toBe(config().replace('tags: [politics]', 'tags: [politics, uk, opinion]'));
    expect(await ws.cli('feeds', 'tag', 'jane', '--remove', 'politics', 'opinion')).toMatchObject({
      code: 0,
      stdout: 'feed jane tags: uk\n',
    });
    expect(ws.text()).toBe(config().replace('tags: [politics]', 'tags: [uk]'));
    expect(await ws.cli('feeds', 'tag', 'jane', 'uk')).toMatchObject({ code: 0, stdout: 'feed jane tags: uk (unchanged)\n' });
  });

  it('exits 2 on a missing tag or an unknown subcommand', async () => {
    const ws = workspace();
    expect(await ws.cli('feeds', 'tag', 'jane')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('give a feed id and at least one tag'),
    });
    expect(await ws.cli('feeds', 'rename', 'jane')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown subcommand "rename"'),
    });
    expect(await ws.cli('feeds', 'add', '--bogus', 'x')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("Unknown option '--bogus'"),
    });
  });

  it('prints the help of every subcommand', async () => {
    const result = await runCli(['feeds', 'add', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('columnwire feeds add <url-or-page>');
    expect(result.stdout).toContain('columnwire feeds tag <id> <tag>... [--remove]');
  });
});
