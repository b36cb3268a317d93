/**
 * Found by the fault-injection suite: one permanent redirect to a private address, which the
 * address guard refuses, must not move the feed there for good. The feed is polled again at
 * its own URL and recovers once its server behaves.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveForTest } from '../helpers/feed-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
const FEED = `<?xml version="1.0"?><rss version="2.0"><channel><title>Recovering</title>${[1, 2, 3]
  .map(
    (n) => `
  <item><title>Column ${n} after the bad redirect</title><link>https://recovering.example.com/${n}</link><guid>r-${n}</guid></item>`,
  )
  .join('')}
</channel></rss>`;

describe('a permanent redirect to a private address', () => {
  it.each([301, 308])('answered once (%i) does not move the feed off its own URL for good', async (status) => {
    let requests = 0;
    const server = await serveForTest({
      '/feed.xml': (_req, res) => {
        requests++;
        if (requests === 1) res.writeHead(status, { location: 'http://10.0.0.1/feed.xml' }).end();
        else res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(FEED);
      },
    });
    const config = join(dir, `feeds-${status}.yaml`);
    const data = join(dir, `data-${status}`);
    writeFileSync(config, `poll:\n  allowPrivateAddresses: [127.0.0.1]\nfeeds:\n  - id: recovering\n    url: ${server.url('/feed.xml')}\n`);
    const args = ['--config', config, '--data', data, 'poll', '--force'];

    const first = await runCli(args);
    expect(first.stdout).toContain('recovering: failed: refused 10.0.0.1');
    const second = await runCli(args);
    expect(second.code).toBe(0);
    expect(requests).toBe(2);
    expect(second.stdout).toContain('recovering: 3 new');
  });
});
