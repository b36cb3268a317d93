import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverAddress } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { CLI } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const dir = makeTempDir();

describe('serverAddress', () => {
  const config = parseConfig('server:\n  host: 0.0.0.0\n  port: 9000\n', 'feeds.yaml');
  it.each([
    [{}, { host: '0.0.0.0', port: 9000 }],
    [{ PORT: '3000' }, { host: '0.0.0.0', port: 3000 }],
    [{ HOST: '127.0.0.1', PORT: '0' }, { host: '127.0.0.1', port: 0 }],
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
