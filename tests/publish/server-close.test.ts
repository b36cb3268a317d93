/**
 * Closing the HTTP server waits for handlers still running, those whose client already went
 * away included, so the store the caller closes next is never closed under one (a PostgreSQL
 * search used to fail with "Cannot use a pool after calling end on the pool").
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { startHttpServer, type HttpServerDeps } from '../../src/publish/http-server.ts';
import type { Readiness } from '../../src/readiness.ts';

/** A server whose /readyz answers when `release` is called; the rest of its deps are never reached. */
async function serverWithSlowRoute() {
  let release: (readiness: Readiness) => void = () => {};
  let entered: () => void = () => {};
  const reached = new Promise<void>((resolve) => (entered = resolve));
  const deps = {
    logger: createLogger({ level: 'silent' }),
    adminNetworks: [],
    published: { basePath: '', site: { handles: () => false } },
    readiness: () => {
      entered();
      return new Promise<Readiness>((resolve) => (release = resolve));
    },
  } as unknown as HttpServerDeps;
  const server = await startHttpServer(deps, '127.0.0.1', 0);
  return { server, reached, release: (readiness: Readiness) => release(readiness) };
}

describe('closing the HTTP server', () => {
  it('waits for a handler whose client has gone away before it resolves', async () => {
    const { server, reached, release } = await serverWithSlowRoute();
    const client = request(`${server.url}/readyz`);
    client.on('error', () => {});
    client.end();
    await reached;
    client.destroy(); // the client leaves; the handler still runs
    let closed = false;
    const closing = server.close(10_000).then(() => (closed = true));
    // The socket is gone, so the server itself closes at once; the handler still holds close().
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    release({ ready: true } as Readiness);
    await closing;
    expect(closed).toBe(true);
  });

  it('gives up on a handler that outlives the grace period', async () => {
    const { server, reached } = await serverWithSlowRoute();
    const client = request(`${server.url}/readyz`);
    client.on('error', () => {});
    client.end();
    await reached;
    client.destroy();
    const started = performance.now();
    await server.close(300);
    const tookMs = performance.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(250);
    expect(tookMs).toBeLessThan(5_000);
  });
});
