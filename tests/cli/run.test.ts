import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();
let server: Server;
let requested: () => void;
const firstRequest = new Promise<void>((resolve) => (requested = resolve));

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(
      `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>A column written for the run test</title><link>https://t.example.com/1</link><pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>`,
      requested,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.xml`;
  writeFileSync(join(dir, 'feeds.yaml'), `server:\n  port: 0\npoll:\n  allowPrivateAddresses: true\nfeeds:\n  - url: ${url}\n    id: t\n`);
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('columnwire run', () => {
  it('polls at start, logs JSON lines, and stops cleanly with exit 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, '--config', join(dir, 'feeds.yaml'), '--data', join(dir, 'data'), 'run'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'info' },
    });
    let stderr = '';
    const cycleLogged = new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('"poll cycle finished"')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await firstRequest;
    await cycleLogged;
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const summary = stderr
      .split('\n')
      .map((line) => (line.startsWith('{') ? (JSON.parse(line) as { msg?: string }) : null))
      .find((entry) => entry?.msg === 'poll cycle finished');
    expect(summary).toMatchObject({ feeds: 1, added: 1, failed: 0 });
    const feeds = JSON.parse(
      (await runCli(['--config', join(dir, 'feeds.yaml'), '--data', join(dir, 'data'), 'feeds', '--json'])).stdout,
    ) as unknown[];
    expect(feeds[0]).toMatchObject({ id: 't', items: 1 });
  });
});
