import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverAddress } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { CLI, runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();

describe('serverAddress', () => {
  const config = parseConfig('server:\n  host: 0.0.0.0\n  port: 9000\n', 'feeds.yaml');
  it.each([
    [{}, { host: '0.0.0.0', port: 9000 }],
    [{ PORT: '3000' }, { host: '0.0.0.0', port: 3000 }],
    [
      { HOST: '127.0.0.1', PORT: '0' },
      { host: '127.0.0.1', port: 0 },
    ],
  ])('takes env %j over the config', (env, expected) => {
    expect(serverAddress(config, env)).toEqual(expected);
  });
  it('rejects a PORT that is not a port number', () => {
    expect(() => serverAddress(config, { PORT: 'http' })).toThrow('PORT must be a port number from 0 to 65535, got "http"');
  });
});

describe('columnwire serve', () => {
  it('serves on the port PORT gives and stops cleanly on SIGTERM', async () => {
    writeFileSync(join(dir, 'feeds.yaml'), 'title: Served\nfeeds:\n  - url: https://example.com/feed\n    id: one\n');
    const child = spawn(process.execPath, [CLI, '--config', join(dir, 'feeds.yaml'), '--data', join(dir, 'data'), 'serve'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1' },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok', feeds: 1, stories: 0 });
    expect((await fetch(`${url}/feed.xml`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('columnwire serve on a busy port', () => {
  it('exits 1 saying the port is in use and how to choose another', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    writeFileSync(join(dir, 'busy.yaml'), 'feeds: []\n');
    const result = await runCli(['--config', join(dir, 'busy.yaml'), '--data', join(dir, 'busy-data'), 'serve'], {
      env: { PORT: String(port), HOST: '127.0.0.1' },
    });
    blocker.close();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use; set server.port in the config or PORT`);
  });
});
