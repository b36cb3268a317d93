/**
 * A database gone silent (a partition: no refusal, no reset) held /healthz and /readyz until
 * the kernel gave up on the socket, minutes later. They now answer 503 within their deadline,
 * saying the store did not answer. The store here never answers: that silence is the input.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { startHttpServer, type HttpServerDeps } from '../../src/publish/http-server.ts';
import type { Readiness } from '../../src/readiness.ts';

async function serverOverSilentStore() {
  const silent = () => new Promise<never>(() => {});
  const deps = {
    logger: createLogger({ level: 'silent' }),
    adminNetworks: ['127.0.0.0/8'],
    published: { basePath: '', site: { handles: () => false } },
    store: { lastPollAt: silent, countFeeds: silent, countStories: silent },
    readiness: silent as () => Promise<Readiness>,
    metrics: { render: silent },
    probeDeadlineMs: 200,
  } as unknown as HttpServerDeps;
  const server = await startHttpServer(deps, '127.0.0.1', 0);
  onTestFinished(() => server.close(0));
  return server;
}

describe('probes over a store that does not answer', () => {
  it.each(['/healthz', '/readyz'])('%s answers 503, naming the store', async (path) => {
    const server = await serverOverSilentStore();
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(503);
    expect(JSON.stringify(await response.json())).toContain('the store did not answer within 0.2 s (is the database reachable?)');
  });
});

describe('/metrics over a store that does not answer', () => {
  it('answers 503 within the probe deadline, naming the store', async () => {
    const server = await serverOverSilentStore();
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('10');
    expect(await response.text()).toContain('the store did not answer within 0.2 s (is the database reachable?)');
  });
});
