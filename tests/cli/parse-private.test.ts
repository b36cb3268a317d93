/**
 * `columnwire parse <url>` fetches under the config's address policy (poll.allowPrivateAddresses),
 * redirects and page links included; `--allow-private` lifts it to debug a feed served locally.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { httpFixture, redirect, serveBody, serveForTest } from '../helpers/feed-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
const feedXml = httpFixture('columnist.xml');

/** A config file whose poll: section is `poll` (none when null). */
function config(name: string, poll: string | null): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `${poll === null ? '' : `poll:\n  allowPrivateAddresses: ${poll}\n`}feeds: []\n`);
  return path;
}

const parse = (configPath: string, ...args: string[]) => runCli(['--config', configPath, 'parse', ...args, '--json']);

describe('parse <url> and private addresses', { timeout: 60_000 }, () => {
  it('refuses a feed on 127.0.0.1 by default, naming --allow-private, and fetches nothing', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    for (const path of [config('default', null), join(dir, 'missing.yaml')]) {
      const result = await parse(path, server.url('/feed.xml'));
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain('refused 127.0.0.1: it resolves to 127.0.0.1, a loopback address');
      expect(result.stderr).toContain('add --allow-private to fetch it anyway');
      expect(result.stdout).toBe('');
    }
    expect(server.requests).toHaveLength(0);
  });

  it('fetches it with --allow-private', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    const result = await parse(config('flag', null), server.url('/feed.xml'), '--allow-private');
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { items: unknown[] }).items.length).toBeGreaterThan(0);
  });

  it('fetches it without the flag when the config allows the address', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    for (const policy of ['true', '[127.0.0.1]', '[127.0.0.0/8]']) {
      const result = await parse(config(`allowed-${policy.replace(/\W/g, '')}`, policy), server.url('/feed.xml'));
      expect(result.code, `${policy}: ${result.stderr}`).toBe(0);
    }
  });

  it('refuses a redirect from an allowed host to 127.0.0.1, and to the cloud metadata address', async () => {
    const target = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    // The origin stands in for a public host: it listens on 127.0.0.2, the one address the config allows.
    const origin = createServer((req, res) => {
      const location = req.url === '/metadata' ? 'http://169.254.169.254/latest/meta-data/' : target.url('/feed.xml');
      res.writeHead(302, { location }).end();
    });
    origin.listen(0, '127.0.0.2');
    await once(origin, 'listening');
    onTestFinished(() => void origin.close());
    const originUrl = `http://127.0.0.2:${(origin.address() as AddressInfo).port}`;
    const configPath = config('redirects', '[127.0.0.2]');

    const toLoopback = await parse(configPath, `${originUrl}/feed.xml`);
    expect(toLoopback.code).toBe(1);
    expect(toLoopback.stderr).toContain('refused 127.0.0.1: it resolves to 127.0.0.1, a loopback address');
    expect(toLoopback.stderr).toContain('--allow-private');
    expect(target.requests).toHaveLength(0);

    const toMetadata = await parse(configPath, `${originUrl}/metadata`);
    expect(toMetadata.code).toBe(1);
    expect(toMetadata.stderr).toMatch(/refused 169\.254\.169\.254: it resolves to 169\.254\.169\.254, a linkLocal address/);
  });

  it('refuses the feed a page links on a private address, naming the flag', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    server.setRoute(
      '/page',
      serveBody('<html><head><link rel="alternate" type="application/rss+xml" href="http://10.0.0.1/feed.xml"></head></html>', {
        headers: { 'content-type': 'text/html' },
      }),
    );
    const result = await parse(config('page', '[127.0.0.1]'), server.url('/page'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/feed http:\/\/10\.0\.0\.1\/feed\.xml found on page .* failed: refused 10\.0\.0\.1/);
    expect(result.stderr).toContain('--allow-private');
  });

  it('says nothing of the flag for a failure that is not an address refusal', async () => {
    const server = await serveForTest({ '/gone.xml': redirect(302, '/missing.xml') });
    const result = await parse(config('plain', 'true'), server.url('/gone.xml'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('HTTP 404');
    expect(result.stderr).not.toContain('--allow-private');
  });
});
