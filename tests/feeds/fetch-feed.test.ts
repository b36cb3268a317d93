import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { expectKind, fetchFrom } from '../helpers/fetch-from.ts';
import type { LookupFunction } from '../../src/feeds/guard-address.ts';
import {
  closedPortUrl,
  endless,
  hangAfterHeaders,
  httpFixture,
  neverAnswer,
  serveBody,
  serveCompressed,
  serveForTest,
} from '../helpers/feed-server.ts';

const feedXml = httpFixture('columnist.xml');

describe('fetchFeed: a plain 200', () => {
  it('returns the body bytes, content type, status and final URL', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml, { headers: { etag: '"v1"' } }) });
    const result = expectKind(await fetchFrom(server.url('/feed.xml')), 'ok');
    expect(Buffer.from(result.body).equals(feedXml)).toBe(true);
    expect(result.contentType).toBe('application/rss+xml; charset=utf-8');
    expect(result.status).toBe(200);
    expect(result.url).toBe(server.url('/feed.xml'));
    expect(result.permanentUrl).toBe(server.url('/feed.xml'));
    expect(result.headers.get('etag')).toBe('"v1"');
  });

  it('names columnwire in the User-Agent and asks for feeds and compression', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    await fetchFrom(server.url('/feed.xml'));
    const [request] = server.requests;
    expect(request?.method).toBe('GET');
    expect(request?.headers['user-agent']).toMatch(/columnwire/i);
    expect(request?.headers.accept).toContain('application/rss+xml');
    expect(request?.headers['accept-encoding']).toMatch(/gzip/);
    expect(request?.headers['accept-encoding']).toMatch(/br/);
  });

  it('returns an empty body of a 200 as zero bytes', async () => {
    const server = await serveForTest({ '/empty.xml': serveBody('') });
    expect(expectKind(await fetchFrom(server.url('/empty.xml')), 'ok').body.byteLength).toBe(0);
  });
});

describe('fetchFeed: conditional GET (RFC 9110 §13.1)', () => {
  it('sends If-None-Match and If-Modified-Since from the stored validators', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    await fetchFrom(server.url('/feed.xml'), { etag: 'W/"abc"', lastModified: 'Sun, 01 Jun 2025 06:00:00 GMT' });
    expect(server.requests[0]?.headers['if-none-match']).toBe('W/"abc"');
    expect(server.requests[0]?.headers['if-modified-since']).toBe('Sun, 01 Jun 2025 06:00:00 GMT');
  });

  it('sends no validators when it has none', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    await fetchFrom(server.url('/feed.xml'), { etag: null, lastModified: null });
    expect(server.requests[0]?.headers).not.toHaveProperty('if-none-match');
    expect(server.requests[0]?.headers).not.toHaveProperty('if-modified-since');
  });

  it('treats a 304 as not-modified, keeping the response headers', async () => {
    const server = await serveForTest({
      '/feed.xml': (req, res) => {
        const fresh = req.headers['if-none-match'] === '"v7"';
        res.writeHead(fresh ? 304 : 200, { etag: '"v7"', 'cache-control': 'max-age=300' });
        res.end(fresh ? undefined : feedXml);
      },
    });
    const result = expectKind(await fetchFrom(server.url('/feed.xml'), { etag: '"v7"' }), 'not-modified');
    expect(result.status).toBe(304);
    expect(result.headers.get('cache-control')).toBe('max-age=300');
    expect(result.permanentUrl).toBe(server.url('/feed.xml'));
  });
});

describe('fetchFeed: compression', () => {
  it.each(['gzip', 'deflate', 'br'] as const)('decompresses a %s body', async (encoding) => {
    const server = await serveForTest({ '/feed.xml': serveCompressed(encoding, feedXml) });
    const result = expectKind(await fetchFrom(server.url('/feed.xml')), 'ok');
    expect(Buffer.from(result.body).toString('utf8')).toBe(feedXml.toString('utf8'));
  });

  it.each(['gzip', 'deflate', 'br'])('says a plain body labelled %s is not what its Content-Encoding says', async (encoding) => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml, { headers: { 'content-encoding': encoding } }) });
    const result = expectKind(await fetchFrom(server.url('/feed.xml')), 'failed');
    expect(result.reason).toMatch(
      new RegExp(`^the body is not the ${encoding} its Content-Encoding says \\(.+\\): the server is misconfigured`),
    );
  });
});

describe('fetchFeed: size limit', () => {
  const maxBytes = 64 * 1024;

  it('stops reading an endless body once it passes maxBytes', async () => {
    const server = await serveForTest({ '/endless.xml': endless() });
    const result = expectKind(await fetchFrom(server.url('/endless.xml'), { maxBytes }), 'failed');
    expect(result.reason).toMatch(/maxBytes/);
    expect(result.status).toBe(200);
  });

  it('refuses a body whose Content-Length exceeds maxBytes without waiting for it', async () => {
    // The server promises 50 MB and sends 1 KB: a client that read on would only end by timing out.
    const server = await serveForTest({
      '/huge.xml': hangAfterHeaders({ headers: { 'content-length': String(50_000_000) }, firstChunk: 'x'.repeat(1024) }),
    });
    const result = expectKind(await fetchFrom(server.url('/huge.xml'), { maxBytes, timeoutMs: 10_000 }), 'failed');
    expect(result.reason).toMatch(/maxBytes/);
    expect(result.reason).not.toMatch(/timed out/);
  });

  it('counts decompressed bytes, so a gzip bomb stops at maxBytes', async () => {
    const server = await serveForTest({ '/bomb.xml': serveCompressed('gzip', Buffer.alloc(8 * 1024 * 1024, ' ')) });
    const result = expectKind(await fetchFrom(server.url('/bomb.xml'), { maxBytes }), 'failed');
    expect(result.reason).toMatch(/maxBytes/);
  });

  it('accepts a body of exactly maxBytes', async () => {
    const server = await serveForTest({ '/exact.xml': serveBody(Buffer.alloc(2048, 'a')) });
    expect(expectKind(await fetchFrom(server.url('/exact.xml'), { maxBytes: 2048 }), 'ok').body.byteLength).toBe(2048);
  });
});

describe('fetchFeed: time limit', () => {
  it('times out on a server that sends headers and then nothing', async () => {
    const server = await serveForTest({ '/stuck.xml': hangAfterHeaders({ firstChunk: '<?xml version="1.0"?>' }) });
    const result = expectKind(await fetchFrom(server.url('/stuck.xml'), { timeoutMs: 300 }), 'failed');
    expect(result.reason).toMatch(/timed out after 0\.3 s/);
  });

  it('times out on a server that never answers', async () => {
    const server = await serveForTest({ '/silent.xml': neverAnswer() });
    const result = expectKind(await fetchFrom(server.url('/silent.xml'), { timeoutMs: 300 }), 'failed');
    expect(result.reason).toMatch(/timed out/);
    expect(result.status).toBeNull();
  });
});

describe('fetchFeed: HTTP errors', () => {
  it.each([
    { status: 404, reason: /HTTP 404/ },
    { status: 500, reason: /HTTP 500/ },
    { status: 410, reason: /HTTP 410.*gone/i },
  ])('fails on $status with the status in the reason', async ({ status, reason }) => {
    const server = await serveForTest({
      '/feed.xml': serveBody('<html>error</html>', { status, headers: { 'content-type': 'text/html' } }),
    });
    const result = expectKind(await fetchFrom(server.url('/feed.xml')), 'failed');
    expect(result.reason).toMatch(reason);
    expect(result.status).toBe(status);
  });

  it.each([429, 503])('fails on %s keeping the status and a readable Retry-After', async (status) => {
    const server = await serveForTest({ '/feed.xml': serveBody('slow down', { status, headers: { 'retry-after': '120' } }) });
    const result = expectKind(await fetchFrom(server.url('/feed.xml')), 'failed');
    expect(result.status).toBe(status);
    expect(result.reason).toContain(String(status));
    expect(result.headers?.get('retry-after')).toBe('120');
  });

  it('fails with "connection refused" and the host when nothing listens', async () => {
    const url = await closedPortUrl();
    const result = expectKind(await fetchFrom(url), 'failed');
    expect(result.reason).toMatch(/connection refused/);
    expect(result.reason).toContain(new URL(url).host);
    expect(result.status).toBeNull();
  });
});

describe('fetchFeed: a private feed with credentials in its URL', () => {
  it('sends them as HTTP Basic authentication, and not to a redirect target', async () => {
    const other = await serveForTest({ '/moved.xml': serveBody(feedXml) });
    const server = await serveForTest({
      '/private.xml': (req, res) => {
        if (req.headers.authorization !== `Basic ${Buffer.from('reader:s3cret pass').toString('base64')}`)
          return void res.writeHead(401).end();
        res.writeHead(302, { location: other.url('/moved.xml') }).end();
      },
    });
    const url = server.url('/private.xml').replace('http://', 'http://reader:s3cret%20pass@');
    const result = expectKind(await fetchFrom(url), 'ok');
    expect(result.url).toBe(other.url('/moved.xml'));
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
  });
});

describe('fetchFeed: address guard', () => {
  it('refuses a loopback address unless private addresses are allowed, sending nothing', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    const result = expectKind(await fetchFrom(server.url('/feed.xml'), { allowPrivateAddresses: false }), 'failed');
    expect(result.reason).toMatch(/loopback/);
    expect(result.reason).toMatch(/allowPrivateAddresses/);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses localhost by the address it resolves to', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    const url = server.url('/feed.xml').replace('127.0.0.1', 'localhost');
    const result = expectKind(await fetchFrom(url, { allowPrivateAddresses: false }), 'failed');
    expect(result.reason).toMatch(/loopback/);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a redirect from an allowed host to 127.0.0.1, sending nothing to the target', async () => {
    const target = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    // The origin stands in for a public host: it listens on 127.0.0.2, the only address allowed.
    const origin = createServer((_req, res) => res.writeHead(302, { location: target.url('/feed.xml') }).end());
    origin.listen(0, '127.0.0.2');
    await once(origin, 'listening');
    onTestFinished(() => void origin.close());
    const originUrl = `http://127.0.0.2:${(origin.address() as AddressInfo).port}/feed.xml`;
    const result = expectKind(await fetchFrom(originUrl, { allowPrivateAddresses: ['127.0.0.2'] }), 'failed');
    expect(result.reason).toMatch(/refused 127\.0\.0\.1: it resolves to 127\.0\.0\.1, a loopback address/);
    expect(target.requests).toHaveLength(0);
  });

  it('allows addresses listed in the policy and refuses the rest of the range', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    expectKind(await fetchFrom(server.url('/feed.xml'), { allowPrivateAddresses: ['127.0.0.0/8'] }), 'ok');
    const refused = expectKind(await fetchFrom(server.url('/feed.xml'), { allowPrivateAddresses: ['127.0.0.2', '10.0.0.0/8'] }), 'failed');
    expect(refused.reason).toMatch(/loopback/);
  });

  it('refuses a name that resolves to a public address at the check and to loopback at connect (DNS rebinding)', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody(feedXml) });
    let calls = 0;
    const rebinding: LookupFunction = (_host, options, callback) => {
      const address = calls++ === 0 ? '93.184.216.34' : '127.0.0.1';
      if (options.all) callback(null, [{ address, family: 4 }]);
      else callback(null, address, 4);
    };
    const url = `http://rebind.test:${new URL(server.origin).port}/feed.xml`;
    const result = expectKind(await fetchFrom(url, { allowPrivateAddresses: false, lookup: rebinding }), 'failed');
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(result.reason).toMatch(/refused rebind\.test: it resolves to 127\.0\.0\.1, a loopback address/);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    const server = await serveForTest({ '/feed.xml': serveBody('', { status: 302, headers: { location: 'file:///etc/passwd' } }) });
    const result = expectKind(await fetchFrom(server.url('/feed.xml')), 'failed');
    expect(result.reason).toMatch(/file:/);
    expect(result.reason).toMatch(/only http and https/);
  });
});
