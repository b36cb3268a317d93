import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFixture, serveBody, startFeedServer, type FeedServer } from '../helpers/feed-server.ts';
import { runMain } from '../helpers/run-main.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();
let server: FeedServer;

beforeAll(async () => {
  server = await startFeedServer({ '/jane.xml': serveBody(httpFixture('columnist.xml')) });
});

afterAll(() => server.close());

function workspace() {
  const dir = mkdtempSync(join(root, 'ws-'));
  const path = join(dir, 'feeds.yaml');
  writeFileSync(
    path,
    `poll:\n  allowPrivateAddresses: true\nfeeds:\n  - url: https://bob.example.com/rss\n    id: bob\n    tags: [economics]\n`,
  );
  return {
    text: () => readFileSync(path, 'utf8'),
    cli: (...args: string[]) => runMain(['--config', path, '--data', join(dir, 'data'), ...args]),
  };
}

describe('tags given on the command line are normalised', () => {
  it('feeds tag adds and removes the normalised tag, once', async () => {
    const ws = workspace();
    expect(await ws.cli('feeds', 'tag', 'bob', 'Politics  UK', 'politics-uk', 'ECONOMICS')).toMatchObject({
      code: 0,
      stdout: 'feed bob tags: economics, politics-uk\n',
    });
    expect(ws.text()).toContain('tags: [economics, politics-uk]');
    expect(await ws.cli('feeds', 'tag', 'bob', '--remove', ' Politics UK ')).toMatchObject({
      code: 0,
      stdout: 'feed bob tags: economics\n',
    });
  });

  it('feeds add --tag writes the normalised tags, each once', async () => {
    const ws = workspace();
    const result = await ws.cli(
      'feeds',
      'add',
      server.url('/jane.xml'),
      '--id',
      'jane',
      '--tag',
      'Politics UK',
      '--tag',
      'politics-uk',
      '--tag',
      'Opinion',
    );
    expect(result).toMatchObject({ code: 0 });
    expect(ws.text()).toContain('tags: [politics-uk, opinion]');
  });
});
