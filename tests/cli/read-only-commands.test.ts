import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { databasePath } from '../../src/app.ts';
import { serveBody, serveForTest } from '../helpers/feed-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>A</title>
<item><title>A column</title><link>https://a.example.com/1</link><guid>a-1</guid><pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>`;

describe('read-only commands', () => {
  it('leave the stored feed list alone when run with another config against the same data', async () => {
    const dir = makeTempDir();
    const server = await serveForTest({ '/a.xml': serveBody(rss) });
    const serviceConfig = join(dir, 'service.yaml');
    const otherConfig = join(dir, 'other.yaml');
    writeFileSync(serviceConfig, `poll:\n  allowPrivateAddresses: true\nfeeds:\n  - url: ${server.url('/a.xml')}\n    id: a\n`);
    writeFileSync(otherConfig, `feeds:\n  - url: https://b.example.com/feed\n    id: b\n`);
    const data = join(dir, 'data');
    expect((await runCli(['--config', serviceConfig, '--data', data, 'poll'])).code).toBe(0);

    for (const command of [['stats'], ['feeds'], ['export'], ['opml', 'export'], ['backup', join(dir, 'copy.db')]]) {
      expect((await runCli(['--config', otherConfig, '--data', data, ...command])).code, command.join(' ')).toBe(0);
    }
    const listed = JSON.parse((await runCli(['--config', otherConfig, '--data', data, 'feeds', '--json'])).stdout) as unknown;
    expect(listed).toEqual([expect.objectContaining({ id: 'b', lastFetchAt: null, items: 0 })]);

    const db = new BetterSqlite3(databasePath(data), { readonly: true });
    expect(db.prepare('SELECT id, in_config AS inConfig, configured_url AS url FROM feeds').all()).toEqual([
      { id: 'a', inConfig: 1, url: server.url('/a.xml') },
    ]);
    db.close();
  });
});
