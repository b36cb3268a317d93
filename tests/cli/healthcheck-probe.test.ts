import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

// Makes loading tsx or any .ts file throw in the child, so a passing probe proves it stayed plain JavaScript.
const FORBID_TSX = `--import=${fileURLToPath(new URL('../helpers/forbid-tsx.mjs', import.meta.url))}`;
let server: Server;
let port: string;

beforeAll(async () => {
  // Stands in for the service: /healthz alive, /readyz not ready, as the real one answers.
  server = createServer((request, response) => {
    if (request.url === '/healthz') response.writeHead(200).end('{"status":"ok"}\n');
    else response.writeHead(503).end('{"ready":false,"reason":"no poll cycle has finished yet"}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = String((server.address() as AddressInfo).port);
});

afterAll(() => server.close());

describe('columnwire healthcheck as Docker runs it (HOST and PORT set)', () => {
  it('answers without loading tsx or the TypeScript program', async () => {
    const env = { HOST: '0.0.0.0', PORT: port, NODE_OPTIONS: FORBID_TSX };
    expect(await runCli(['healthcheck'], { env })).toEqual({
      code: 0,
      stdout: `ok: http://127.0.0.1:${port}/healthz {"status":"ok"}\n`,
      stderr: '',
    });
    const ready = await runCli(['--config', '/nonexistent/feeds.yaml', 'healthcheck', '--ready', '--timeout', '3'], { env });
    expect(ready).toMatchObject({ code: 1, stdout: '' });
    expect(ready.stderr).toBe(
      `columnwire: healthcheck: http://127.0.0.1:${port}/readyz answered HTTP 503: {"ready":false,"reason":"no poll cycle has finished yet"}\n`,
    );
    const url = await runCli(['healthcheck', `--url=http://127.0.0.1:${port}`], { env: { NODE_OPTIONS: FORBID_TSX } });
    expect(url.code).toBe(0);
  });

  it('says no answer (ECONNREFUSED) when nothing listens, still without tsx', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const closedPort = String((closed.address() as AddressInfo).port);
    await new Promise((resolve) => closed.close(resolve));
    const down = await runCli(['healthcheck'], { env: { HOST: '127.0.0.1', PORT: closedPort, NODE_OPTIONS: FORBID_TSX } });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(
      `columnwire: healthcheck: no answer from http://127.0.0.1:${closedPort}/healthz (ECONNREFUSED); is "columnwire run" running?\n`,
    );
  });

  it('hands anything else (no HOST/PORT, --help) to the full command, which needs tsx', async () => {
    // The guard works: the full program cannot start under it...
    const help = await runCli(['healthcheck', '--help'], { env: { NODE_OPTIONS: FORBID_TSX } });
    expect(help.code).not.toBe(0);
    expect(help.stderr).toContain('forbid-tsx: tried to load tsx');
    // ...and, without it, the full command answers as before.
    expect((await runCli(['healthcheck', '--help'])).stdout).toContain('Usage: columnwire healthcheck');
    const badTimeout = await runCli(['healthcheck', '--timeout', 'soon'], { env: { HOST: '127.0.0.1', PORT: port } });
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toContain('healthcheck: --timeout must be a positive number of seconds, got "soon"');
  });
});
