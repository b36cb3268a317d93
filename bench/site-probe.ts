/**
 * The site bench's one-at-a-time requests: a timed GET over a keep-alive connection (what one
 * reader's page load costs when nothing else runs), sequential samples rotating over a set of
 * request targets, and percentiles of what they took.
 */
import { Agent, request } from 'node:http';

/** One timed response: wall time from sending to the last body byte. */
export interface TimedResponse {
  ms: number;
  status: number;
  bytes: number;
}

/** A keep-alive agent of one socket: the connection is set up once, not per timed request. */
export const probeAgent = (): Agent => new Agent({ keepAlive: true, maxSockets: 1 });

/** GETs `url` with `headers` and times it to the end of the body. */
export function timedGet(url: string, headers: Record<string, string>, agent: Agent): Promise<TimedResponse> {
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`bench: requests only to 127.0.0.1, not ${url}`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { headers, agent }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => void (bytes += chunk.length));
      res.on('error', reject);
      res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Latencies of sequential requests, by target and all together. */
export interface Samples {
  all: number[];
  byTarget: Map<string, number[]>;
  statuses: Map<number, number>;
}

/** `count` requests one after another, the n-th to targets[n % targets.length]. */
export async function sequentialSamples(
  baseUrl: string,
  targets: readonly string[],
  count: number,
  headers: Record<string, string>,
): Promise<Samples> {
  const agent = probeAgent();
  const samples: Samples = { all: [], byTarget: new Map(targets.map((target) => [target, []])), statuses: new Map() };
  try {
    for (let n = 0; n < count; n++) {
      const target = targets[n % targets.length]!;
      const response = await timedGet(`${baseUrl}${target}`, headers, agent);
      samples.all.push(response.ms);
      samples.byTarget.get(target)!.push(response.ms);
      samples.statuses.set(response.status, (samples.statuses.get(response.status) ?? 0) + 1);
    }
  } finally {
    agent.destroy();
  }
  return samples;
}

/** The p-th quantile (0–1) of `values`, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
}
