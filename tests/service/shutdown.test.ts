import { writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { neverAnswer, serveForTest } from '../helpers/feed-server.ts';
import { startService } from '../helpers/service.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>
<item><title>A column that took its time</title><link>https://slow.example.com/1</link><guid>slow-1</guid>
<pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>`;

function writeConfig(dir: string, url: string, graceSeconds: number): string {
  const path = join(dir, 'feeds.yaml');
  writeFileSync(
    path,
    `shutdownGraceSeconds: ${graceSeconds}\nserver:\n  port: 0\npoll:\n  allowPrivateAddresses: true\n  timeoutSeconds: 60\nfeeds:\n  - url: ${url}\n    id: slow\n`,
  );
  return path;
}

describe('columnwire run stops gracefully', () => {
  it('on SIGTERM lets a fetch in flight finish and be stored, then exits 0', async () => {
    const dir = makeTempDir();
    let answer: ((res: ServerResponse) => void) | null = null;
    const arrived = new Promise<ServerResponse>((resolve) => (answer = resolve));
    const server = await serveForTest({ '/slow.xml': (_req, res) => answer?.(res) });
    const service = startService(writeConfig(dir, server.url('/slow.xml'), 10), join(dir, 'data'));
    const response = await arrived; // the fetch is in flight
    service.child.kill('SIGTERM');
    expect(await service.waitForLog((line) => line.msg?.startsWith('stopping') ?? false)).toMatchObject({ graceSeconds: 10, inFlight: 1 });
    response.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss);
    expect(await service.exited).toBe(0);
    expect(service.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['poll cycle finished', 'stopped']));
    expect(service.logs.some((line) => line.msg?.startsWith('grace period over'))).toBe(false);
    const feeds = JSON.parse(
      (await runCli(['--config', join(dir, 'feeds.yaml'), '--data', join(dir, 'data'), 'feeds', '--json'])).stdout,
    ) as unknown[];
    expect(feeds[0]).toMatchObject({ id: 'slow', items: 1 });
  });

  it('gives up on work still unfinished after the grace period and still exits 0', async () => {
    const dir = makeTempDir();
    const server = await serveForTest({ '/hang.xml': neverAnswer() });
    const service = startService(writeConfig(dir, server.url('/hang.xml'), 1), join(dir, 'data'));
    await service.url();
    await new Promise<void>((resolve) => {
      const check = () => (server.requestsTo('/hang.xml').length > 0 ? resolve() : setImmediate(check));
      check();
    });
    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    const tookMs = Date.now() - signalledAt;
    expect(tookMs).toBeGreaterThanOrEqual(900);
    expect(tookMs).toBeLessThan(8_000);
    expect(await service.waitForLog((line) => line.msg?.startsWith('grace period over') ?? false)).toMatchObject({ abandoned: 1 });
    expect(service.logs.at(-1)?.msg).toBe('stopped');
  });

  it('does not wait past the grace period for a client that never finishes its request', async () => {
    const dir = makeTempDir();
    const server = await serveForTest({ '/hang.xml': neverAnswer() });
    const service = startService(writeConfig(dir, server.url('/hang.xml'), 1), join(dir, 'data'));
    const url = new URL(await service.url());
    const socket = connect(Number(url.port), url.hostname);
    await once(socket, 'connect');
    socket.write('GET /feed.xml HTTP/1.1\r\nHost: x\r\n'); // and never the blank line that ends it
    onTestFinished(() => void socket.destroy());
    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(8_000);
  });

  it('exits at once on a second signal', async () => {
    const dir = makeTempDir();
    const server = await serveForTest({ '/hang.xml': neverAnswer() });
    const service = startService(writeConfig(dir, server.url('/hang.xml'), 120), join(dir, 'data'));
    await service.url();
    service.child.kill('SIGTERM');
    await service.waitForLog((line) => line.msg?.startsWith('stopping') ?? false);
    service.child.kill('SIGINT');
    expect(await service.exited).toBe(130);
  });
});
