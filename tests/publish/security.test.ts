import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/publish/rate-limit.ts';
import { createUnsubscribeToken } from '../../src/unsubscribe-token.ts';
import { startServedApp } from '../helpers/served-app.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const root = makeTempDir();

/** A raw request, so paths reach the server exactly as written (fetch would normalize "../"). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP security', () => {
  it.each(['/', '/feed.xml', '/opml', '/unsubscribe?token=x', '/nope'])('sends a script-free CSP and nosniff on %s', async (path) => {
    const served = await startServedApp(root);
    const response = await served.get(path);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('puts no script in its HTML pages', async () => {
    const served = await startServedApp(root);
    for (const path of ['/', '/unsubscribe?token=bad']) {
      expect(await (await served.get(path)).text()).not.toMatch(/<script|javascript:|\son[a-z]+=/i);
    }
  });

  it.each([
    '/../../../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/feeds.yaml',
    '/data/columnwire.db',
    '/..%2f..%2fpackage.json',
    '/tags/..%2F..%2Fetc%2Fpasswd/feed.xml',
    '/src/main.ts',
  ])('never serves a file for %s', async (path) => {
    const served = await startServedApp(root);
    const { status, body } = await rawGet(served.server.url, path);
    expect(status).toBe(404);
    expect(body).not.toMatch(/root:|"dependencies"|SQLite format|import /);
  });

  it.each(['PUT', 'DELETE', 'PATCH'])('changes nothing on %s', async (method) => {
    const served = await startServedApp(root);
    const response = await fetch(`${served.server.url}/feed.xml`, { method });
    expect(response.status).toBe(405);
  });

  it('refuses an unsubscribe body over 4 KB with 413, and an overlong link with 414', async () => {
    const served = await startServedApp(root);
    const token = createUnsubscribeToken({ address: 'a@example.org', digestId: 'daily' }, served.app.secret);
    const big = await fetch(`${served.server.url}/unsubscribe?token=${encodeURIComponent(token)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `x=${'a'.repeat(8000)}`,
    });
    expect(big.status).toBe(413);
    expect(await served.app.store.unsubscribedAddresses()).toEqual(new Set());
    const long = await served.get(`/unsubscribe?token=${'a'.repeat(3000)}`);
    expect(long.status).toBe(414);
  });

  it('never limits valid unsubscribe links, however many arrive from one address (mailbox providers post one-click unsubscribes)', async () => {
    const served = await startServedApp(root);
    const statuses: number[] = [];
    for (let reader = 0; reader < 25; reader++) {
      const token = createUnsubscribeToken({ address: `reader${reader}@example.org`, digestId: 'daily' }, served.app.secret);
      statuses.push((await fetch(`${served.server.url}/unsubscribe?token=${encodeURIComponent(token)}`, { method: 'POST' })).status);
    }
    expect(statuses).toEqual(Array(25).fill(200));
    expect((await served.app.store.unsubscribedAddresses()).size).toBe(25);
  });

  it('rate-limits refused /unsubscribe requests per client with 429 and Retry-After, leaving other routes alone', async () => {
    const served = await startServedApp(root);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 12; attempt++) statuses.push((await served.get('/unsubscribe?token=guess')).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(400));
    expect(statuses.slice(10)).toEqual([429, 429]);
    const limited = await served.get('/unsubscribe?token=guess');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await served.get('/feed.xml')).status).toBe(200);
  });
});

describe('createRateLimiter', () => {
  it('allows a burst, then refills at the rate per minute', () => {
    const limiter = createRateLimiter({ burst: 2, perMinute: 6 });
    expect([limiter.take('a', 0), limiter.take('a', 0)]).toEqual([0, 0]);
    expect(limiter.take('a', 0)).toBe(10);
    expect(limiter.take('b', 0)).toBe(0);
    expect(limiter.take('a', 10_000)).toBe(0);
  });

  it('forgets the least recently seen client past its capacity', () => {
    const limiter = createRateLimiter({ burst: 1, perMinute: 1, maxClients: 2 });
    limiter.take('a', 0);
    limiter.take('b', 0);
    limiter.take('c', 0); // 'a' is forgotten and starts afresh
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('c', 0)).toBeGreaterThan(0);
  });
});
