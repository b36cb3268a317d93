import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

// Makes loading any package from node_modules throw in the child, so a passing probe proves it
// loaded neither the config reader nor the database driver nor anything else but Node itself.
const FORBID_PACKAGES = `--import=${fileURLToPath(new URL('../helpers/forbid-packages.mjs', import.meta.url))}`;
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
  it('answers without loading any package (no config, no database driver)', async () => {
    const env = { HOST: '0.0.0.0', PORT: port, NODE_OPTIONS: FORBID_PACKAGES };
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
    const url = await runCli(['healthcheck', `--url=http://127.0.0.1:${port}`], { env: { NODE_OPTIONS: FORBID_PACKAGES } });
    expect(url.code).toBe(0);
  });

  it('says no answer (ECONNREFUSED) when nothing listens, still loading no package', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const closedPort = String((closed.address() as AddressInfo).port);
    await new Promise((resolve) => closed.close(resolve));
    const down = await runCli(['healthcheck'], { env: { HOST: '127.0.0.1', PORT: closedPort, NODE_OPTIONS: FORBID_PACKAGES } });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(
      `columnwire: healthcheck: no answer from http://127.0.0.1:${closedPort}/healthz (ECONNREFUSED); is "columnwire run" running?\n`,
    );
  });

  it('reads the config for the address only without HOST and PORT, and refuses bad options clearly', async () => {
    // The guard works: reading the config loads its YAML reader, which the guard refuses...
    const config = await runCli(['--config', '/nonexistent/feeds.yaml', 'healthcheck'], { env: { NODE_OPTIONS: FORBID_PACKAGES } });
    expect(config.code).not.toBe(0);
    expect(config.stderr).toContain('forbid-packages: tried to load');
    // ...and, without it, the config gives the address.
    expect((await runCli(['--config', '/nonexistent/feeds.yaml', 'healthcheck'])).stderr).toContain('/nonexistent/feeds.yaml');
    expect((await runCli(['healthcheck', '--help'], { env: { NODE_OPTIONS: FORBID_PACKAGES } })).stdout).toContain(
      'Usage: columnwire healthcheck',
    );
    const badTimeout = await runCli(['healthcheck', '--timeout', 'soon'], { env: { HOST: '127.0.0.1', PORT: port } });
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toContain('healthcheck: --timeout must be a positive number of seconds, got "soon"');
    const badUrl = await runCli(['healthcheck', '--url', 'https://127.0.0.1:1']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('healthcheck: --url must be an http:// URL');
  });
});
