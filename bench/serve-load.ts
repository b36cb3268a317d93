/**
 * The serving bench's load generator: autocannon (programmatic API) against one URL on
 * 127.0.0.1, keep-alive connections, pipelining 1. Latency percentiles come from every
 * response's own time (autocannon's sub-millisecond hrtime), not from its histogram, which
 * keeps whole milliseconds only and records no 3xx. Also a one-shot GET that keeps the bytes
 * exactly as sent (no decompression), for the raw floor to replay.
 */
import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import autocannon from 'autocannon';
import type { CapturedResponse } from './serve-raw.ts';

export interface LoadOptions {
  connections: number;
  seconds: number;
  headers: Record<string, string>;
  /**
   * Request targets taken in turn by all connections together (default: the URL's own): every
   * target once before any twice, so ten connections never ask the same one at the same time.
   */
  paths?: readonly string[];
}

/** What one load run saw. */
export interface LoadResult {
  requests: number;
  seconds: number;
  reqPerS: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Response bytes on the wire (status line, headers and body) per second, in MB. */
  mbPerS: number;
  statuses: Map<number, number>;
  /** Smallest and largest response on the wire: equal means every response was the same document. */
  minBytes: number;
  maxBytes: number;
  errors: number;
  timeouts: number;
}

/** Runs autocannon against `url` for `seconds` and summarizes every response. */
export function runLoad(url: string, options: LoadOptions): Promise<LoadResult> {
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`bench: load only against 127.0.0.1, not ${url}`);
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let bytes = 0;
  let minBytes = Infinity;
  let maxBytes = 0;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url,
        connections: options.connections,
        pipelining: 1,
        duration: options.seconds,
        headers: options.headers,
        timeout: 10,
        ...(options.paths ? { requests: [{ method: 'GET' as const, setupRequest: nextPath(options.paths) }] } : {}),
      },
      (error, result) => {
        if (error) return reject(new Error('bench: autocannon failed', { cause: error }));
        const seconds = (performance.now() - started) / 1000;
        const sorted = Float64Array.from(latencies).sort();
        const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
        resolve({
          requests: latencies.length,
          seconds,
          reqPerS: latencies.length / seconds,
          p50Ms: at(0.5),
          p95Ms: at(0.95),
          p99Ms: at(0.99),
          mbPerS: bytes / 1024 / 1024 / seconds,
          statuses,
          minBytes: latencies.length ? minBytes : 0,
          maxBytes,
          errors: result.errors,
          timeouts: result.timeouts,
        });
      },
    );
    instance.on('response', (_client, status, resBytes, responseTime) => {
      latencies.push(responseTime);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      bytes += resBytes;
      if (resBytes < minBytes) minBytes = resBytes;
      if (resBytes > maxBytes) maxBytes = resBytes;
    });
  });
}

/** Headers a replay must not copy: per-connection or per-moment ones Node sets itself. */
const HOP_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

/** GETs `url` once with `headers` and keeps status, end-to-end headers and the body bytes as sent. */
export function captureResponse(url: string, headers: Record<string, string>): Promise<CapturedResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: replayable(res.headers), body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function replayable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name, value]) => value !== undefined && !HOP_HEADERS.has(name)));
}

/** An autocannon setupRequest handing out `paths` round-robin across every connection. */
function nextPath(paths: readonly string[]): (request: autocannon.Request) => autocannon.Request {
  let next = 0;
  return (request) => ({ ...request, path: paths[next++ % paths.length]! });
}
