/**
 * What fetch did for fetchFeed and http-get.ts now does itself, against a real node:http
 * server: Latin-1 validators sent back as they came, repeated fields, 1xx responses, bodies
 * decoded as undici's fetch decodes them, a body cut short, and a body left unread.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { expectKind, fetchFrom } from '../helpers/fetch-from.ts';
import { httpFixture, serveForTest } from '../helpers/feed-server.ts';

const feedXml = httpFixture('columnist.xml');

describe('fetchFeed over http-get: header fields', () => {
  it('reads an ETag with bytes above 127 as Latin-1 and sends it back byte for byte, so the server can answer 304', async () => {
    // Node writes and reads header strings as Latin-1: "é" is the one byte 0xE9 on the wire.
    const etag = '"caf\u00e9-\u00ff"';
    const server = await serveForTest({
      '/feed.xml': (req, res) => {
        if (req.headers['if-none-match'] === etag) return void res.writeHead(304).end();
        res.writeHead(200, { etag, 'content-type': 'application/rss+xml' }).end(feedXml);
      },
    });
    const first = expectKind(await fetchFrom(server.url('/feed.xml')), 'ok');
    expect(first.headers.get('etag')).toBe(etag);
    const again = expectKind(await fetchFrom(server.url('/feed.xml'), { etag: first.headers.get('etag') }), 'not-modified');
    expect(again.status).toBe(304);
  });

  it('joins a repeated field with ", " and reads names in any case', async () => {
    const server = await serveForTest({
      '/feed.xml': (_req, res) => {
        res.setHeader('Cache-Control', ['max-age=600', 'public']);
        res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(feedXml);
      },
    });
    const result = expectKind(await fetchFrom(server.url('/feed.xml')), 'ok');
    expect(result.headers.get('cache-control')).toBe('max-age=600, public');
    expect(result.headers.get('Cache-Control')).toBe('max-age=600, public');
    expect(result.headers.get('x-absent')).toBeNull();
  });

  it('skips a 103 Early Hints response and reads the 200 after it', async () => {
    const server = await serveForTest({
      '/feed.xml': (_req, res) => {
        res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
        res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(feedXml);
      },
    });
    const result = expectKind(await fetchFrom(server.url('/feed.xml')), 'ok');
    expect(Buffer.from(result.body).equals(feedXml)).toBe(true);
  });

  it('keeps the server’s reason phrase in an HTTP error', async () => {
    const server = await serveForTest({ '/feed.xml': (_req, res) => void res.writeHead(451, 'Unavailable For Legal Reasons').end() });
    expect(expectKind(await fetchFrom(server.url('/feed.xml')), 'failed').reason).toBe('HTTP 451 Unavailable For Legal Reasons');
  });
});

describe('fetchFeed over http-get: bodies', () => {
  const encoded: Array<[string, string, Buffer]> = [
    ['deflate with its zlib wrapper (RFC 1950)', 'deflate', deflateSync(feedXml)],
    ['raw deflate (RFC 1951), as many servers send it', 'deflate', deflateRawSync(feedXml)],
    ['x-gzip', 'x-gzip', gzipSync(feedXml)],
    ['two codings, br then gzip, undone in reverse', 'br, gzip', gzipSync(brotliCompressSync(feedXml))],
    ['a coding in capitals', 'GZIP', gzipSync(feedXml)],
  ];
  it.each(encoded)('decodes %s', async (_what, encoding, body) => {
    const server = await serveForTest({
      '/feed.xml': (_req, res) => void res.writeHead(200, { 'content-encoding': encoding }).end(body),
    });
    expect(Buffer.from(expectKind(await fetchFrom(server.url('/feed.xml')), 'ok').body).equals(feedXml)).toBe(true);
  });

  it('leaves a body whose coding it does not know as sent', async () => {
    const server = await serveForTest({
      '/feed.xml': (_req, res) => void res.writeHead(200, { 'content-encoding': 'identity' }).end(feedXml),
    });
    expect(Buffer.from(expectKind(await fetchFrom(server.url('/feed.xml')), 'ok').body).equals(feedXml)).toBe(true);
  });

  it('refuses more than five codings', async () => {
    const server = await serveForTest({
      '/feed.xml': (_req, res) => void res.writeHead(200, { 'content-encoding': 'gzip, gzip, gzip, gzip, gzip, gzip' }).end('x'),
    });
    expect(expectKind(await fetchFrom(server.url('/feed.xml')), 'failed').reason).toMatch(/too many content-encodings in response: 6/);
  });

  it('says so when the connection closes before the body is complete', async () => {
    const server = await serveForTest({
      '/feed.xml': (_req, res) => {
        res.writeHead(200, { 'content-length': String(feedXml.length) });
        res.write(feedXml.subarray(0, 100));
        setTimeout(() => res.socket?.destroy(), 20);
      },
    });
    expect(expectKind(await fetchFrom(server.url('/feed.xml')), 'failed').reason).toBe('connection closed before the body was complete');
  });

  it('stops a redirect’s body it does not read, and the next request on the server is answered', async () => {
    let sent = 0;
    const server = await serveForTest({
      '/old.xml': (_req, res) => {
        res.writeHead(301, { location: '/feed.xml' });
        // An endless body behind the redirect: reading it would never end.
        const timer = setInterval(() => {
          sent++;
          res.write('x'.repeat(16_384));
        }, 5);
        res.on('close', () => clearInterval(timer));
      },
      '/feed.xml': (_req, res) => void res.writeHead(200).end(feedXml),
    });
    const result = expectKind(await fetchFrom(server.url('/old.xml'), { timeoutMs: 5_000 }), 'ok');
    expect(Buffer.from(result.body).equals(feedXml)).toBe(true);
    expect(sent).toBeLessThan(200);
  });
});

describe('fetchFeed over http-get: https', () => {
  const tls = join(import.meta.dirname, '../fixtures/tls');
  async function httpsServer(): Promise<string> {
    const server = createHttpsServer(
      { cert: readFileSync(join(tls, 'relay-cert.pem')), key: readFileSync(join(tls, 'relay-key.pem')) },
      (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' }).end(gzipSync(feedXml)),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    onTestFinished(() => void server.close());
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}/feed.xml`;
  }

  it('refuses a certificate nobody vouches for, naming it', async () => {
    const result = expectKind(await fetchFrom(await httpsServer()), 'failed');
    expect(result.reason).toMatch(/^TLS certificate is self-signed \(127\.0\.0\.1:\d+\)$/);
  });

  it('fetches over TLS when the certificate is trusted (NODE_EXTRA_CA_CERTS), in a process of its own', async () => {
    const url = await httpsServer();
    const fetchModule = fileURLToPath(new URL('../../src/feeds/fetch-feed.ts', import.meta.url));
    const script = `const { fetchFeed } = await import(${JSON.stringify(fetchModule)});
      const result = await fetchFeed({ url: ${JSON.stringify(url)}, timeoutMs: 10000, maxBytes: 1048576, allowPrivateAddresses: true });
      console.log(JSON.stringify({ kind: result.kind, bytes: result.kind === 'ok' ? result.body.byteLength : result.reason }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: join(tls, 'relay-cert.pem') },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual({ kind: 'ok', bytes: feedXml.length });
  });
});
